# Two stages: install the locked dependencies, then the bot, into a virtualenv; copy it into a
# slim runtime image. The base image is pinned to a patch release: `make lock` refreshes the
# dependency pins; bump the tag below by hand when Python publishes a security release.
FROM python:3.11.14-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Dependencies first, every file checked against its hash: a code change reuses this layer.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --no-deps .

FROM python:3.11.14-slim-bookworm
# A user without a login shell or root rights runs the bot.
RUN useradd --create-home --shell /usr/sbin/nologin --uid 10001 faqbot
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The FAQ as shipped; mount your own over /app/knowledge to edit it live (it hot-reloads).
COPY knowledge ./knowledge
RUN mkdir -p /app/data && chown faqbot:faqbot /app/data
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    KNOWLEDGE_DIR=/app/knowledge \
    DATA_DIR=/app/data
USER 10001
VOLUME ["/app/data"]
# Webhook mode listens here when WEBHOOK_URL is set; polling needs no port.
EXPOSE 8443
# Healthy when the knowledge is loaded and the last Bot API call succeeded (`bot health`).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]
