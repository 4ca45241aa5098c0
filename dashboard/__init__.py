"""The supervisors' dashboard: server-rendered pages (aiohttp, Jinja2) over the same core services
and the same authorisation policy (core.access) as the backoffice bot.

A view parses the request, calls core, and renders a template; it decides nothing about who may see
what. Every page, download and action asks core with the officer loaded from the database for that
request (dashboard.security), never with what a cookie or a URL claims.
"""
