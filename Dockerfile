# syntax=docker/dockerfile:1
# The worker image: `python -m streams.worker`, configured by environment variables only
# (see the Configuration table of README.md). docker-compose.yml runs it as the worker, as
# the one-shot `topics` job and as the demo generator.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: the project and its runtime dependencies as wheels (no dev/embedded extras) ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY models ./models
COPY streams ./streams
RUN pip wheel --wheel-dir /wheels .

# ---- runtime: python:3.11-slim + the wheels, run as an unprivileged user ----
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="omnichannel-context" \
      org.opencontainers.image.description="Real-time customer context and next-best-offer triggers (faust worker)" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=6066 \
    OFFER_RULES_PATH=/etc/omnichannel/offers.toml

# The wheels are bind-mounted from the build stage, so they never become an image layer.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels omnichannel-context

# The wheel carries only Python modules: the marketer's rules file ships beside it
# (OFFER_RULES_PATH above; mount another file there to change the offers).
COPY config/offers.toml /etc/omnichannel/offers.toml

# faust keeps its data directory (<APP_ID>-data) in the working directory: the user owns it.
RUN groupadd --system --gid 10001 omni \
 && useradd --system --uid 10001 --gid omni --home-dir /app --create-home \
            --shell /usr/sbin/nologin omni
WORKDIR /app
USER 10001:10001

EXPOSE 6066
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('WEB_PORT', '6066'), timeout=2)"]

ENTRYPOINT ["python", "-m", "streams.worker"]
