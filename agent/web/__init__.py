"""The review page (Flask, server-rendered, no script)."""
