# syntax=docker/dockerfile:1
# ModelServe image: wheels are built in one stage; the final stage is slim, has no compilers,
# and runs as an unprivileged user that owns the data directory.
#   docker build -t modelserve .                          # scikit-learn models
#   docker build --build-arg EXTRAS=xgboost,lightgbm .    # + XGBoost and LightGBM models
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ARG EXTRAS=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md settings.py ./
COPY graph graph
COPY domain domain
COPY storage storage
COPY migrations migrations
RUN pip wheel --wheel-dir /wheels ".${EXTRAS:+[$EXTRAS]}"

FROM python:${PYTHON_VERSION}-slim AS final
ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 MODELSERVE_DATA_DIR=/data
# LightGBM's wheels link OpenMP at run time; the runtime library, not a compiler.
RUN if echo "$EXTRAS" | grep -q lightgbm; then \
        apt-get update && apt-get install -y --no-install-recommends libgomp1 \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --system --gid 10001 modelserve \
    && useradd --system --uid 10001 --gid modelserve --home-dir /app --shell /usr/sbin/nologin modelserve \
    && mkdir -p /app /data/artifacts /data/spool \
    && chown -R modelserve:modelserve /data
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels "modelserve${EXTRAS:+[$EXTRAS]}"
WORKDIR /app
USER modelserve
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["modelserve", "serve", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
