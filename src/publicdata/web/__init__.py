"""The portal: server-rendered pages (see pages.py for the router and mount_static)."""
