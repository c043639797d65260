"""JupyterLab server of the browser tests: galata's test setup on a private port.

Never use this outside tests: it turns authentication off and exposes the
application object to every script in the page.  ``run.sh`` sets the
environment variables read here.
"""

import os

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821

configure_jupyter_server(c)

# galata's defaults assume port 8888 and a notebook server started as a normal
# user; the runner picks a free port so that a developer's own server is left alone.
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ["JUPYTER_EXT_UI_PORT"])
c.ServerApp.port_retries = 0
c.ServerApp.allow_root = True
c.ServerApp.open_browser = False
# Files deleted by tests would otherwise pile up in the desktop trash.
c.FileContentsManager.delete_to_trash = False
# Keep settings a test changes out of the developer's own JupyterLab.
c.LabApp.user_settings_dir = os.environ["JUPYTER_EXT_UI_SETTINGS_DIR"]
