import pytest
from django.core.exceptions import ValidationError

from webhooks.destinations import destination_check


@pytest.mark.parametrize(
    "url",
    [
        "https://partner.example.org/hooks/tracker",
        "https://partner.example.org:8443/hook?token=no",
        "http://127.0.0.1:8080/hook",  # the test settings allow http to this machine
        "http://localhost/hook",
        "http://[::1]:9000/hook",
    ],
)
def test_allowed_destinations(url):
    destination_check(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "ftp://partner.example.org/",
        "http://partner.example.org/hook",  # plain http leaves this machine
        "https://user:password@partner.example.org/hook",
        "https://partner.example.org/hook#part",
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/hook",
        "https://" + "a" * 500 + ".org/",
    ],
)
def test_refused_destinations_name_the_url(url):
    with pytest.raises(ValidationError) as refused:
        destination_check(url)
    assert set(refused.value.message_dict) == {"url"}


def test_without_http_allowed_even_localhost_needs_https(settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    with pytest.raises(ValidationError):
        destination_check("http://127.0.0.1:8080/hook")
    with pytest.raises(ValidationError):
        destination_check("https://127.0.0.1:8080/hook")


def test_http_follows_debug_when_not_configured(settings):
    settings.WEBHOOKS_ALLOW_HTTP = None
    settings.DEBUG = False
    with pytest.raises(ValidationError):
        destination_check("http://127.0.0.1:8080/hook")
    settings.DEBUG = True
    destination_check("http://127.0.0.1:8080/hook")


def test_private_networks_can_be_allowed_for_vpn_partners(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    destination_check("https://10.0.0.5/hook")


def test_at_send_time_a_name_resolving_to_loopback_is_refused(settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    # "localhost" is refused by name; an IPv4-mapped loopback address by resolution.
    with pytest.raises(ValidationError):
        destination_check("https://[::ffff:127.0.0.1]/hook", resolve=True)
