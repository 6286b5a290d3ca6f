"""Who may do what: settings, CDS client JWTs, OpenID Connect and proxy sign-in, roles, CSRF,
the Host check, the body limit and the security headers.

Below the HTTP routers and the web pages, which both use it; it imports the stores (a JWT's `jti`
is remembered there) and nothing above.
"""
