#!/bin/sh
# The two Python plugins of this project's Pulumi CLI build, installed under both names:
#   pulumi-language-python         runs the program: language_host.py (beside this file)
#   pulumi-resource-pulumi-python  serves Python dynamic resources: dynamic_provider.py, the SDK's
#                                  `python -m pulumi.dynamic`
# Both need the program's Python (the one with pulumi and this package installed). Which Python, as
# Pulumi's own plugins choose it: PULUMI_PYTHON_CMD; else the `virtualenv` runtime option of the
# nearest Pulumi.yaml at or above the working directory (the engine starts plugins in the program's
# directory, and gives the options to the language host only once it runs), read by
# pulumi-project-virtualenv with Pulumi's own project loader; else an activated virtualenv; else
# python3. PULUMI_PYTHON_CHOSEN_BY tells the plugin why, for its message when that Python lacks the SDK.
here=$(dirname "$(readlink -f "$0")")
py=${PULUMI_PYTHON_CMD:-}
if [ -n "$py" ]; then
  PULUMI_PYTHON_CHOSEN_BY="PULUMI_PYTHON_CMD"
else
  found=$("$here/pulumi-project-virtualenv") || exit 1
  venv=$(printf '%s' "$found" | cut -f1)
  if [ -n "$venv" ]; then
    project=$(printf '%s' "$found" | cut -f2)
    py=$venv/bin/python
    if [ ! -x "$py" ]; then
      echo "$(basename "$0"): the virtualenv $venv (runtime option in $project) has no bin/python;" \
           "create it: python3 -m venv $venv && $venv/bin/pip install pulumi-msgraph-membership" >&2
      exit 1
    fi
    PULUMI_PYTHON_CHOSEN_BY="the virtualenv option of $project"
  elif [ -n "${VIRTUAL_ENV:-}" ]; then
    py=$VIRTUAL_ENV/bin/python
    PULUMI_PYTHON_CHOSEN_BY="the activated virtualenv, VIRTUAL_ENV"
  else
    py=python3
    PULUMI_PYTHON_CHOSEN_BY="python3 on PATH: no PULUMI_PYTHON_CMD, no virtualenv option in Pulumi.yaml, no activated virtualenv"
  fi
fi
export PULUMI_PYTHON_CHOSEN_BY
case $(basename "$0") in
  pulumi-language-python) exec "$py" -u "$here/language_host.py" "$@" ;;
  *) exec "$py" -u "$here/dynamic_provider.py" "$@" ;;
esac
