from tests.certificates.conftest import course  # noqa: F401 - the two-session programme the certificate tests use
