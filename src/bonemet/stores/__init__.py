"""What the server keeps: the case store with its audit log (`store`) and the tumour-board sessions
(`board_store`), in one SQLite file. No HTTP here; imported by `bonemet.access`, the routers and
the web pages.
"""
