# The 掌务通 image: one image for every role (web, worker, scheduler, init); compose.yaml says
# which command each container runs. Migrations run in the `init` service only, never on start
# of a web container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZWT_ENV=production \
    LOG_FORMAT=json \
    ZWT_INSTANCE_DIR=/srv/zwt/instance

WORKDIR /app

# PDF documents embed a Chinese font reportlab can embed (TrueType outlines).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# The file store (uploads, shared by every container through a volume) and the secrets folder
# belong to the unprivileged user the processes run as.
RUN useradd --system --uid 10001 --home-dir /srv/zwt --shell /usr/sbin/nologin zwt \
    && mkdir -p /srv/zwt/instance /srv/zwt/secrets \
    && chown -R zwt:zwt /srv/zwt \
    && chmod 0700 /srv/zwt/secrets \
    && chmod +x deploy/entrypoint.sh
USER zwt

EXPOSE 8000
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "app:create_app()"]
