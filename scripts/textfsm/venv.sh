# Sourced by the textfsm scripts: a virtualenv with the pinned textfsm and ntc-templates, in $TEXTFSM_VENV
# (default .build/textfsm-venv), created and filled when missing. Sets PYTHON and NTC_TEMPLATES.
TEXTFSM_VENV=${TEXTFSM_VENV:-.build/textfsm-venv}
if ! command -v python3 >/dev/null; then
    echo "textfsm scripts: python3 not found (scripts/bootstrap.sh installs it)" >&2
    exit 3
fi
if [ ! -x "$TEXTFSM_VENV/bin/python" ]; then
    python3 -m venv "$TEXTFSM_VENV"
fi
if ! "$TEXTFSM_VENV/bin/python" -m pip freeze 2>/dev/null | grep -qxF -f <(grep -v '^#' scripts/textfsm/requirements.txt); then
    "$TEXTFSM_VENV/bin/python" -m pip install -q --disable-pip-version-check -r scripts/textfsm/requirements.txt
fi
PYTHON="$TEXTFSM_VENV/bin/python"
NTC_TEMPLATES=$("$PYTHON" -c 'import os, ntc_templates; print(os.path.join(os.path.dirname(ntc_templates.__file__), "templates"))')
