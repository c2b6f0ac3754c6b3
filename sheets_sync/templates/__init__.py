"""Report templates: YAML files validated on load into :class:`Template` models.

``load_template("sales_pipeline")`` loads a bundled template by id (or a user's file by path);
``list_templates()`` loads every bundled one. See docs/templates.md for the YAML reference.
"""

from sheets_sync.templates.loader import (
    TEMPLATE_DIR,
    bundled_ids,
    list_templates,
    load_template,
    parse_template,
    template_dir,
)
from sheets_sync.templates.names import STATUS_TAB_NAME, safe_tab_name, tab_name_problem
from sheets_sync.templates.schema import Template
from sheets_sync.templates.validate import Vocabulary, default_vocabulary

__all__ = [
    "STATUS_TAB_NAME",
    "TEMPLATE_DIR",
    "Template",
    "Vocabulary",
    "bundled_ids",
    "default_vocabulary",
    "list_templates",
    "load_template",
    "parse_template",
    "safe_tab_name",
    "tab_name_problem",
    "template_dir",
]
