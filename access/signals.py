# Session and account signals (filled in by the authentication work).
