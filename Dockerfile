FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md settings.py ./
COPY graph graph
COPY domain domain
COPY storage storage
COPY migrations migrations
RUN pip install --no-cache-dir . && useradd --system --uid 10001 modelserve
USER modelserve
EXPOSE 8000
CMD ["modelserve", "serve", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
