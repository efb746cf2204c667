"""社群内容副驾: drafts a community's daily posts in its IP persona's voice."""

from copilot.offline import ensure_offline

ensure_offline()

__version__ = "0.1.0"
