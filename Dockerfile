# newsbot: the same install steps as the Makefile (the locked dependencies, then the project
# without resolving again). Build: docker build -t newsbot .   Run: see compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock

COPY bot ./bot
COPY db ./db
COPY feeds ./feeds
COPY handlers ./handlers
COPY services ./services
COPY bench ./bench
COPY feeds.opml ./
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system --home-dir /app --shell /usr/sbin/nologin newsbot \
    && mkdir -p /app/data && chown newsbot /app/data

USER newsbot
# Inside a container the HTTP server must listen beyond loopback; publish it with care.
ENV HTTP_LISTEN=0.0.0.0:8080 DATABASE_URL=sqlite:////app/data/newsbot.db
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
# exec form: SIGTERM reaches newsbot, which stops gracefully.
CMD ["newsbot", "run"]
