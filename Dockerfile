# The worker image: `docker compose up` builds it from this repository.
# Only the runtime dependencies are installed; the tests stay out (.dockerignore).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DSR_DATA_DIR=/var/lib/dsr \
    DSR_LOG_FORMAT=json

RUN groupadd --system dsr \
    && useradd --system --gid dsr --home-dir /app --no-create-home dsr \
    && mkdir -p /app /var/lib/dsr \
    && chown dsr:dsr /var/lib/dsr

WORKDIR /app

# Metadata first, so the dependency layer is only rebuilt when pyproject.toml changes.
COPY pyproject.toml README.md ./
COPY domain/ domain/
COPY activities/ activities/
COPY workflows/ workflows/
COPY runtime/ runtime/
COPY store/ store/
COPY mail/ mail/
COPY audit/ audit/
COPY connectors/ connectors/
COPY service/ service/
COPY interfaces/ interfaces/
COPY worker.py starter.py ./

RUN pip install --no-cache-dir . \
    && rm -rf build *.egg-info

# The named volume mounted here takes this ownership on first use.
VOLUME ["/var/lib/dsr"]

USER dsr

CMD ["python", "worker.py"]
