"""PanDA DB services: the PanDA REST API v1 as a thin Falcon layer over the stored logic.

services.app.create_app(settings) builds the WSGI app; services.server runs it under gunicorn.
"""
