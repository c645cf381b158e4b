# syntax=docker/dockerfile:1
# The Engage production image. One image runs every role of docker-compose.yml: the web process
# (gunicorn, the default command), the Celery worker, Celery beat and the migrate job.
#
#   docker build -t engage .
#   docker run --env-file engage.env engage                       # web on :8000
#   docker run --env-file engage.env engage celery -A engage worker -Q notifications,media,privacy,default
# (docker-compose.yml runs one worker service per queue; docs/DEPLOY.md)

ARG PYTHON_IMAGE=python:3.12-slim

# --- build: dependencies (hash-checked), compiled translations, collected static files ----------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# gettext's msgfmt compiles the translations; it stays in this stage only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
COPY requirements/base.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --require-hashes -r /tmp/requirements.txt

WORKDIR /app
COPY . .
ENV PATH=/opt/venv/bin:$PATH

# Production settings refuse to load without their four variables; these build-time values only
# satisfy that check (nothing is contacted) and do not reach the final image.
RUN export DJANGO_SETTINGS_MODULE=engage.settings.production \
        SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        ALLOWED_HOSTS=build.invalid \
        DATABASE_URL=postgres://build@build.invalid:5432/build \
        REDIS_URL=redis://build.invalid:6379/0 \
    && if [ -d locale ]; then python manage.py compilemessages --ignore '.venv'; fi \
    && python manage.py collectstatic --noinput

# --- runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=engage.settings.production

RUN groupadd --system --gid 10001 engage \
    && useradd --system --uid 10001 --gid engage --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin engage

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app

# The code and static files stay owned by root: the app cannot rewrite itself.
USER engage:engage
EXPOSE 8000

CMD ["gunicorn", "-c", "gunicorn.conf.py", "engage.wsgi:application"]
