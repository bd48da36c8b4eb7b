"""Transfer Atlas: the dashboard's entry point.

The pages and the navigation are declared in ``pages/_navigation.py``; each page draws the global
sidebar filters itself through ``pages._common.current_scope`` so that they hold on every page.
"""

from pages._navigation import run_app

run_app()
