"""HTTP routers: the JSON API (`/api`), the CDS Hooks 2.0 services and the FHIR bridge.

They sit below the application (`bonemet.http.app.create_app`) and beside the web pages
(`bonemet.web`); both use sign-in and roles from `bonemet.access` and the stores from
`bonemet.stores`, never each other.
"""
