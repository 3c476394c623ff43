# Login, logout and failed-login signals write audit entries.
