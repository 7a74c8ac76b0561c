# The one image recipe of the platform: every service (user, catalog, cart, order, payment,
# logistics, aftersales, marketing), the gateway and the web pages are built from this file, from the
# REPOSITORY ROOT:
#
#   docker build --build-arg SERVICE=order --build-arg PORT=8104 -t shop-order .
#   docker build --build-arg SERVICE=gateway --build-arg PORT=8080 -t shop-gateway .
#   docker build --build-arg SERVICE=web --build-arg PORT=8090 -t shop-web .
#
# SERVICE names the package (services/<SERVICE>/, gateway/ or web/); PORT is its API port, the
# `api_port` of its ServiceDefinition (the build fails if they differ). The image is
# tagged shop-<SERVICE>, the name deploy/k8s uses.
#
# Third-party versions come from requirements.lock, the same constraints ./platform
# install (and so CI) uses; refresh it with `./platform lock`.
#
# One entrypoint, the service's command line (`python -m <module>`); the argument picks the
# process:
#   docker run shop-order            the API under gunicorn on $PORT - the default (`api`)
#   docker run shop-order worker     outbox relay + event consumer; /healthz, /readyz and
#                                     /metrics on $WORKER_PORT (default: the definition's
#                                     worker_port); SIGTERM finishes the batch and exits 0
#   docker run shop-order migrate    applies the database migrations and exits
# Configuration is environment only: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, WEB_CONCURRENCY, ...

# --- builder: a venv with the service, the runtime, the contracts and locked dependencies
FROM python:3.11-slim AS builder

ARG SERVICE
ARG PORT

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PATH=/opt/venv/bin:$PATH

RUN test -n "$SERVICE" -a -n "$PORT" \
    || { echo "build with --build-arg SERVICE=<name> --build-arg PORT=<api port>" >&2; exit 1; }
RUN python -m venv /opt/venv

WORKDIR /src
COPY requirements.lock ./
COPY contracts/ contracts/
COPY runtime/ runtime/
COPY services/ services/
COPY gateway/ gateway/
COPY web/ web/
# Not editable and without the embedded broker or test extras: production images get only
# what the service imports. shop-service is the one entrypoint, whatever the service.
RUN case "$SERVICE" in gateway | web) source="$SERVICE" ;; *) source="services/$SERVICE" ;; esac \
    && test -f "$source/pyproject.toml" \
    || { echo "unknown SERVICE '$SERVICE': no $source/pyproject.toml" >&2; exit 1; } \
    && pip install -c requirements.lock ./contracts ./runtime "./$source" \
    && ln -s "shop-$SERVICE" /opt/venv/bin/shop-service
# A wrong PORT would publish a port nothing listens on: check it against the definition.
RUN python -c "import importlib, importlib.metadata as m, sys; \
module = m.entry_points(group='console_scripts')['shop-$SERVICE'].module.split('.')[0]; \
definition = importlib.import_module(module + '.definition').DEFINITION; \
sys.exit(0 if definition.api_port == int('$PORT') else \
f'PORT=$PORT, but {module} listens on {definition.api_port}')"

# --- runtime: the venv only, no build tools, not root
FROM python:3.11-slim

ARG SERVICE
ARG PORT
# The commit the image is built from, exported as shop_build_info{commit}:
#   docker build --build-arg GIT_COMMIT=$(git rev-parse --short=12 HEAD) ...
ARG GIT_COMMIT=unknown

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=${PORT} \
    WORKER_HOST=0.0.0.0 \
    SHOP_DATA_DIR=/app/var \
    SHOP_GIT_COMMIT=${GIT_COMMIT}

RUN groupadd --system --gid 10001 shop \
    && useradd --system --uid 10001 --gid shop --home-dir /app --no-create-home shop

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
RUN mkdir -p /app/var && chown -R shop:shop /app
USER 10001:10001

LABEL org.opencontainers.image.title="shop-${SERVICE}"

# The API port; the worker's ops port is the definition's worker_port (WORKER_PORT).
EXPOSE ${PORT}

ENTRYPOINT ["shop-service"]
CMD ["api"]
