"""HTTP adapter: the JSON API, the CDS Hooks 2.0 services, client authentication and the store.

`bonemet.service.app.create_app(Settings.from_env())` builds the FastAPI application;
`bonemet serve` runs it. Submodules are imported lazily so that the store or the settings can be
used without importing FastAPI.
"""
