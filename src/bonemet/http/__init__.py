"""The HTTP application: `create_app(settings)` composes the API, the CDS Hooks services and the
web pages in one process; `serve` runs it under uvicorn (`bonemet serve`).
"""
