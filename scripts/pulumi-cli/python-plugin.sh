#!/bin/sh
# The two Python plugins of this project's Pulumi CLI build, installed under both names:
#   pulumi-language-python         runs the program: language_host.py (beside this file)
#   pulumi-resource-pulumi-python  serves Python dynamic resources: the SDK's `python -m pulumi.dynamic`
# Both need the program's Python (the one with pulumi and this package installed). Which Python, as
# Pulumi's own plugins choose it: PULUMI_PYTHON_CMD; else the `virtualenv` runtime option of the
# nearest Pulumi.yaml at or above the working directory (the engine starts plugins in the program's
# directory, and gives the options to the language host only once it runs); else an activated
# virtualenv; else python3.
here=$(dirname "$(readlink -f "$0")")
py=${PULUMI_PYTHON_CMD:-}
if [ -z "$py" ]; then
  dir=$PWD
  while [ "$dir" != / ] && [ ! -f "$dir/Pulumi.yaml" ]; do dir=$(dirname "$dir"); done
  venv=
  if [ -f "$dir/Pulumi.yaml" ]; then
    venv=$(sed -n 's/^[[:space:]]*virtualenv:[[:space:]]*["'\'']\{0,1\}\([^"'\'' #]*\).*/\1/p' "$dir/Pulumi.yaml" | head -n 1)
  fi
  if [ -n "$venv" ]; then
    case $venv in /*) ;; *) venv=$dir/$venv ;; esac
    py=$venv/bin/python
    if [ ! -x "$py" ]; then
      echo "$(basename "$0"): the virtualenv $venv (runtime option in $dir/Pulumi.yaml) has no bin/python;" \
           "create it: python3 -m venv $venv && $venv/bin/pip install pulumi-msgraph-membership" >&2
      exit 1
    fi
  elif [ -n "${VIRTUAL_ENV:-}" ]; then
    py=$VIRTUAL_ENV/bin/python
  else
    py=python3
  fi
fi
case $(basename "$0") in
  pulumi-language-python) exec "$py" -u "$here/language_host.py" "$@" ;;
  *) exec "$py" -u -m pulumi.dynamic "$@" ;;
esac
