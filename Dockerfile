# The Chinook Platform image for AWS (Terraform's modules/dagster_ecs): the code location, the webserver, the
# daemon and each run, distinguished only by their command. `make image` builds it for arm64 and pushes it.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/dagster/venv \
    PATH=/opt/dagster/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    CHINOOK_HOME=/opt/dagster/chinook

RUN useradd --system --uid 10001 --create-home --home-dir /home/dagster dagster

WORKDIR /opt/dagster/app
# Dependencies first, pinned by constraints.txt (a layer that changes only with the pins).
COPY pyproject.toml constraints.txt README.md ./
COPY chinook_platform/__init__.py chinook_platform/__init__.py
RUN python -m venv "$VIRTUAL_ENV" \
 && pip install "uv==$(sed -n 's/^uv==//p' constraints.txt)" \
 && uv pip install --python "$VIRTUAL_ENV/bin/python" --compile-bytecode -c constraints.txt -e . \
 && pip uninstall --yes uv

# The code and the dbt project, parsed once here as a check of the project (a run's manifest is parsed in
# $CHINOOK_HOME/dbt with the profile written from the task's own settings, which only the task has).
COPY chinook_platform chinook_platform
COPY sql sql
COPY deploy deploy
COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml
RUN CHINOOK_WAREHOUSE_TARGET=postgres dbt parse --quiet --project-dir sql/warehouse --profiles-dir sql/warehouse \
 && python -m compileall -q chinook_platform \
 && mkdir -p sql/warehouse/logs "$CHINOOK_HOME" \
 && chown -R dagster:dagster sql/warehouse/target sql/warehouse/logs /opt/dagster/dagster_home "$CHINOOK_HOME"

USER dagster
ENTRYPOINT ["python", "-m", "chinook_platform.lib.orchestration.storage"]
CMD ["dagster", "code-server", "start", "--host", "0.0.0.0", "--port", "4000", "--module-name", "chinook_platform"]
