from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE "users" (
    "id" UUID NOT NULL PRIMARY KEY,
    "email" VARCHAR(320) NOT NULL UNIQUE,
    "username" VARCHAR(39) NOT NULL UNIQUE,
    "password_hash" VARCHAR(255) NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "is_active" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "password_changed_at" TIMESTAMPTZ,
    "last_login_at" TIMESTAMPTZ
);
COMMENT ON COLUMN "users"."role" IS 'USER: user\nADMIN: admin';
CREATE TABLE "sessions" (
    "id" UUID NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "revoked_at" TIMESTAMPTZ,
    "revoked_reason" VARCHAR(32),
    "user_agent" VARCHAR(256),
    "ip" VARCHAR(64),
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_sessions_expires_6bcc94" ON "sessions" ("expires_at");
CREATE INDEX "idx_sessions_user_id_80072d" ON "sessions" ("user_id");
COMMENT ON TABLE "sessions" IS 'One login: the family that every rotated refresh token of that login belongs to.';
CREATE TABLE "refresh_tokens" (
    "id" UUID NOT NULL PRIMARY KEY,
    "issued_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "session_id" UUID NOT NULL REFERENCES "sessions" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_refresh_tok_session_11127b" ON "refresh_tokens" ("session_id");
COMMENT ON TABLE "refresh_tokens" IS 'One refresh token (by its ``jti``); used once, then replaced by its successor.';
CREATE TABLE "idempotency_keys" (
    "id" UUID NOT NULL PRIMARY KEY,
    "scope" VARCHAR(32) NOT NULL,
    "key" VARCHAR(128) NOT NULL,
    "fingerprint" VARCHAR(64) NOT NULL,
    "result_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_idempotency_user_id_47652b" UNIQUE ("user_id", "scope", "key")
);
CREATE INDEX "idx_idempotency_created_944834" ON "idempotency_keys" ("created_at");
COMMENT ON TABLE "idempotency_keys" IS 'A client-chosen key for a retried request, scoped to the caller and an operation.';
CREATE TABLE "models" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL,
    "description" TEXT NOT NULL,
    "tags" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "deleted_at" TIMESTAMPTZ,
    "purged_at" TIMESTAMPTZ,
    "log_policy" VARCHAR(8) NOT NULL,
    "prediction_cache_ttl_s" INT,
    "owner_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_models_owner_i_6678cf" UNIQUE ("owner_id", "name")
);
CREATE INDEX "idx_models_created_638011" ON "models" ("created_at");
COMMENT ON COLUMN "models"."log_policy" IS 'FULL: full\nHASH: hash\nNONE: none';
CREATE TABLE "model_versions" (
    "id" UUID NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "artifact_key" VARCHAR(128) NOT NULL,
    "sha256" VARCHAR(64) NOT NULL,
    "size" BIGINT NOT NULL,
    "source_format" VARCHAR(16) NOT NULL,
    "serving_key" VARCHAR(128) NOT NULL,
    "serving_format" VARCHAR(16) NOT NULL,
    "serving_size" BIGINT NOT NULL,
    "framework" VARCHAR(32) NOT NULL,
    "framework_version" VARCHAR(32),
    "python_version" VARCHAR(32),
    "estimator_class" VARCHAR(256) NOT NULL,
    "saved_with" JSONB NOT NULL,
    "signature" JSONB NOT NULL,
    "input_example" JSONB,
    "warnings" JSONB NOT NULL,
    "description" TEXT NOT NULL,
    "metrics" JSONB NOT NULL,
    "tags" JSONB NOT NULL,
    "original_filename" VARCHAR(255) NOT NULL,
    "compiled_key" VARCHAR(128),
    "compiled_max_abs_diff" DOUBLE PRECISION,
    "use_compiled" BOOL NOT NULL,
    "batch_max_rows" INT,
    "batch_max_wait_ms" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ NOT NULL,
    "created_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_model_versi_model_i_de9959" UNIQUE ("model_id", "number"),
    CONSTRAINT "uid_model_versi_model_i_f5d1cb" UNIQUE ("model_id", "sha256")
);
CREATE INDEX "idx_model_versi_created_5eeaa0" ON "model_versions" ("created_by_id");
COMMENT ON COLUMN "model_versions"."status" IS 'PENDING: pending\nREADY: ready\nFAILED: failed\nARCHIVED: archived';
CREATE TABLE "aliases" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "updated_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "version_id" UUID NOT NULL REFERENCES "model_versions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_aliases_model_i_dc37a9" UNIQUE ("model_id", "name")
);
CREATE INDEX "idx_aliases_version_e4e622" ON "aliases" ("version_id");
CREATE TABLE "alias_events" (
    "id" UUID NOT NULL PRIMARY KEY,
    "alias" VARCHAR(64) NOT NULL,
    "reason" VARCHAR(500) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "actor_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "from_version_id" UUID REFERENCES "model_versions" ("id") ON DELETE SET NULL,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "to_version_id" UUID REFERENCES "model_versions" ("id") ON DELETE SET NULL
);
CREATE INDEX "idx_alias_event_created_d86cc5" ON "alias_events" ("created_at");
CREATE INDEX "idx_alias_event_model_i_04e56b" ON "alias_events" ("model_id");
COMMENT ON TABLE "alias_events" IS 'One move of an alias: who pointed it from which version to which, when and why.';
CREATE TABLE "shares" (
    "id" UUID NOT NULL PRIMARY KEY,
    "level" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_shares_model_i_8757f1" UNIQUE ("model_id", "user_id")
);
CREATE INDEX "idx_shares_user_id_d5b6d7" ON "shares" ("user_id");
COMMENT ON COLUMN "shares"."level" IS 'VIEWER: viewer\nPREDICTOR: predictor\nMAINTAINER: maintainer';
CREATE TABLE "prediction_logs" (
    "id" UUID NOT NULL PRIMARY KEY,
    "request_id" VARCHAR(64) NOT NULL,
    "status" VARCHAR(8) NOT NULL,
    "error_code" VARCHAR(32),
    "n_rows" INT NOT NULL,
    "latency_ms" DOUBLE PRECISION NOT NULL,
    "inputs" JSONB,
    "inputs_hash" VARCHAR(64),
    "outputs" JSONB,
    "created_at" TIMESTAMPTZ NOT NULL,
    "caller_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "version_id" UUID REFERENCES "model_versions" ("id") ON DELETE SET NULL
);
CREATE INDEX "idx_prediction__created_c4a151" ON "prediction_logs" ("created_at");
CREATE INDEX "idx_prediction__caller__1c1d51" ON "prediction_logs" ("caller_id");
CREATE INDEX "idx_prediction__model_i_2bcf00" ON "prediction_logs" ("model_id", "created_at");
CREATE INDEX "idx_prediction__version_abde31" ON "prediction_logs" ("version_id", "created_at");
COMMENT ON COLUMN "prediction_logs"."status" IS 'OK: ok\nERROR: error';
CREATE TABLE "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztXW1z2zYS/iscfUpm1Iwtv8Tx3dyMbCuNLraVseW017rDQCQk4UwBKklZUXP+7weAlP"
    "hOkRQpgyw+JJYALEg9Cyx2F7vAj9aM6NCw3t3BsQmt6ZA8Qdw6V360MJhB+iG2vq20wHzu"
    "1bICG4wMTmA6LVWbNeVVYGTZJtBsWjsGhgVpkQ4tzURzGxH2tNYAQ8WlUzid8ma0UpBtKd"
    "++/ddG3769/YeysKCuEKxRcntKW5hwbgCNlrktrYWmQcsi5jv2TJ1o9KEIT6rpfoHRnwtI"
    "f+ME0tYmfcjvf9BihHX4HVrrr/MndYygoQcARTrrgJer9mrOyx4e+lcfeUv26iNVI8Zihr"
    "3W85U9JXjTfLFA+jtGw+omEEMT2FD3wYsXhuHyY13kvDEtsM0F3Lyq7hXocAwWBmNS65/j"
    "BdYYbxT+JPbf8b/cV/M1U9XbwVC97w1VtRXhKXuFEB/cIo1gNh4QthlQP16cfj1AeGmLPe"
    "DyU/fuzdHpWw4BseyJySs5XK0XTghs4JBy0H0oW9YC6iqwo2BfUbBsNIMJgPsJQ7jrLuW7"
    "9Yci+K8LPAZ4k2IN7Rq8CuCm8xPoA2ysXM6nwD/s3/Tuh92bL+xxM8v60+DwdYc9VtPhpa"
    "tQ6RuHW4TOd0ccbDpRfukPPynsq/Lb4LYX5umm3fC3FnsnsLCJislSBbpvkK5L16jRlh7P"
    "4fc5or0VYHqQsoFcrwmX15iksplJ6gI89pGVwGB3PEr+ls9fiy6z9Oer+RbKIFWZC2aUtZ"
    "EV83U4u2V5ZBrI+Cl2dXTBiuL7kZgQTfBnuOIo9+mrAKoTxUDq6oX3Xk+1xNUr9Z5vguVG"
    "bwuNK/qB/mxocwguu/eX3ateiyM9AtrTEpi6GoCc1ZAOCZVs2karZp1ZuARgMOHwsB/CXj"
    "sEfYy27uNKsqLu/rIcKrpBJgifM/2YtpohY0U/AluBz9BcKSaxGfNDijYZO204qTKCBsET"
    "i9bFK+llP0Cq6QLIoTQ1XaPaqF1oOQ9SNlBlk4q6IIq6IKu9SEzOpMeZ8JlK6CJzO0gptf"
    "U6cJlKKytOo7ycAjOdyx5liNMUsvrxlupr31UD4ok9pV+POim8/tq9c5bOToh/t25Nh1e9"
    "hK1fU6UKIY6ZVclYB6mah3Pn5DQD0LRVItK8Lgg1mueB2GndPGhPjzMge3qcCCyrihnC+f"
    "RrH4k07VNNe4ZUCXb9g9tNLRHdatT7hlNei96/8oU3uoKYX7j0Hz/fQQPYKHaNS9heq5mt"
    "koT7S5X+Dz5EY5wf66Gb7Plg7M/m9khGQLoWBJCD7RTXApwBZORZwDcEhdbwAijvUQs9yK"
    "SGHqTooQdxqzj/nFMNXdM0D+UPWUD+kIzxhzDEc2BZS0Ll5BRY0zw4RwjLAVsovbRzcpJJ"
    "5T9JUflPwoibxEgY0D28mEV0p6A969LuD+uNspcD7dbDfe/unIW7mI+4e3XTvz1XgD5DOO"
    "yQz8KDwyxW12Gy0XUYtbksla7H6DmGCxeEAgxwUtiGjy7EgRElrIoFa3Gz32XxYjC4DjiI"
    "LvrDEMYPNxc9ij2HnjZCjoLbvx2GAJce+OSx3lwP/GKuF+R6kFJyXRSuxzhr3beP0Se0Kc"
    "CTQuxP6EL66MVhe3S2G8CyVb5BXoDjEWLJa9F4HXEHZnFf+cM/ijuuSo3/EcNn1Y64lHaD"
    "6Ib9aSpAayXwGZoljCYO1Venq9qKkXTALGpLwl0nHeujSSOqSjdx10DAkechP7FT0U5zFA"
    "PWBFbgKv7deRrrmL/VH9J3LJLvOK9fs1yf5msbQFVv/0rb829oe3J5l3PX309T7ba/KObG"
    "VpkVnUajVd5YijDhDtCKqYHtiKyry+aENUglo1RSo1Q22s+OYSpNs63aoUAVvwSMj1SJGb"
    "hl4ZrdEBNzyG5FNzhlt+PrSc4SIM4YYSWmhN0eYRVeZALo0rdQbh+ur18rdYqbfr1nyF8/"
    "3jB0attbrUMVsoY5kqhm5BmyrCWAFd7BubKcEmVOKJZQV5CtjE0yo2VImyruAFVs4hS06R"
    "9I6bBOP6zic6hK7l/GOQmwkrZTbFWwdmNkNVY3BNJazWCtFslr2CmfoVgkSFVjNgjvyUGW"
    "QDLaKhFgXlfnCIS9xpfV0x2QJQCBLpMkbxKAn0barMFJxBZ1tZjhGkMq0X2pkfOqHt4AP5"
    "5UMBQbqxFCOVLr5mcR0RGQz83iF5j797WIOWy3QhyzyiS4BOIFhQQ6I9AREZkBZq5ZSZ/W"
    "FmT9+qdQ7qy+DmdzYkOsrSivWjEurVCLdppbC3lt1Se4yuja6iqagSC2f9KmxIJYoZTKmJ"
    "gKUExI4efn9lBuW3ZbsTQyp99twg/60YBhQJP7nABWaI3Jo1+izq1KnhAbm7FOq+DdsA/0"
    "UTJEQyy314Y3Wd0yG4IGur3KP2biCcbscSSD6zZvILSHnbMsOU6ds+QkJ1YXstbp86E5N1"
    "G+UzxCZA1Euwr/rUXfN6eZGSCSkSfSYSsdtiIf2lKTOVSnU1uENMB2OLalSvPLcY7FWF0b"
    "r1myseUVlR1gTpbYGQwywFw860UGmFeo8vlfK4LxEH634zEOkTVg8z5N/ej9OgxoHmtA39"
    "x0f30b0D6uB7c/r5v7GHB5PbgIb+uASUwkyr/vB7cJuzlu+7AiiDRb+Z9iIMuuDHJPhowW"
    "yLARtt6x572GGGH4pLMijHpI3rAOwqyQOvrfUUeXmTUN43qWzBpHDy7C9SClzOsXh8nRuT"
    "1fmAVP7PATSh6LzGODTNQ5MZCW4HvffgZZsIc9qrBj2kFO3an18eH6mnZGKR/xp+79p3OF"
    "HVf3iG8pvJTdBDu/L6c9kcVdn+ysj7jq5yZk+ijbTteANqVWtm2oMVpuHyeYFckdhNjjev"
    "XrNf3o69I/P3UOj98fnx2dHp/RJvw9NyXvU/gRPY6Mey1y+hn9NNLRmO5o3HiFpKcxzdPo"
    "H1LFT4j2HR8RhDvPYR+bYyoaAnUw8CiUQrUjTJukrSZi9SpH7NQSKXnGzhaAPJ1kR5S+bD"
    "q6JpMmoVX5ftF6CiZtG/mm6Jbdo8DZW9UdU7SYjWgh/WG+QjrROiencnNJsM0lh1URpBNN"
    "FI+gkEki2qQu2yahurC9SEix3W6Se9R7NMfnEOsMonwIt770bq/6tz+fKy79I77rda/+c6"
    "4w7+nqEX/s9q97V+yJyID6I2ZWc/8rKwGmNkXPUC9isZd/ijgwbTSmUlDNGcYYpmvgdmsl"
    "8YzuOpADaY+igRiXv6Vtob/iTsRHk0SZvqZokkT/0OkcHb3vHBydnp0cv39/cnawEe3Rqj"
    "QZf9H/mYn5APwxcp8sTA2qY2LO4tzuKYM7TNjAMV6+0Lag+Uyfn1dmh8iaCHUlItuFrcDo"
    "jlA2EfPKhncBUR6ilCK9sEgfm/TDkphPeQZ8gKiBY7387KENYsnZuxng9hM3717V8lF3MS"
    "oAeZRS4r0db2jZiK6AxFQ1A1i5zuCKIW2gYKnkVmYLPENdXSI75ka85FDTIJUYAafssY0J"
    "OLXQBAN7YcboNilc8RNJppTOFITnC1uF38FsHnevYTJjIoQ7MUewdWHfXFgCE9P3yRUa76"
    "cRY2I0Kjxepoi8UorIjB3VoeWaCj4SMWZCo5YImbMjDCuIiSYIA4M+karQOTMEY4kbIKD2"
    "cOmzRmZztp+Z1/McpmuezVyJ53kDG3sUGFmqjsbjKO4fDQISluHEHkIcGLMu6seDFMivBg"
    "8X1z3ly13vsn/fd2XQJoeBV7Ii78Lnu173OnxxjAXVNYIxjui0W7bDpPKi7ewXbY+ArU35"
    "iDXJMk8CQZRQJg6kwbsEyFZnMQinSJRYailNMkiTeiUa73eI1zPnNEum8Zp3uS8fixBWeo"
    "Bz/U7GFvukcVEEV6MOxBYi4L2904nY3qwuAdrSDhEW8aTxiPzLfZCwTC+rQZ6LmDrgftNc"
    "nAyqmPyWTWpVcmKLl8FVWUILP3JPZq4IlbliwOe41Tnj2QdrYpEjKVpf+71fenfnyjOCS2"
    "g+Ymp8XfUvhwNa5EorQktvutTCpf9YyxkDnf5zVsXXD2SUFl8y9M21+KRhUvb93QIfqFsP"
    "u1maebkVvvZOZp5wpxSLaOEJekhx0IKJ0cojJk6ydu470sggkwrU9JBW7tPafSoET0X3hS"
    "z7q6Qe/6p6vHsRT+zylnZxrp9KZC2+4HZ6BXmhtUtNL2AyDT6fK+TpEffu7piZBE2TFDKF"
    "Sj4Zjr8HRVPPFacTpGpeyEj5aRY474Y53m2jXDgZUvJOuQGcu91ybpEHyQrujYuGbcWb4z"
    "yMPld4pUchI+53zHuwVHacaB7ZHCJrnnAuXwEhCzvvEPeRyDEuT/iXR0KnBtrwu0vzBtn4"
    "iWSAjfRjVwlo8LLprJAGqSodozXBVHqzt4FasjdbXiyfD93ct8o7y9D+NgyEXK62R4T5F2"
    "uhrpXvQhNp01bMXoFb007bJABemyr3BnJ5+hNdRrHLUIy7yGXgbh5+4X1FyY79AmfL7Hqo"
    "jGiL0R4SEtmkyoGw27yB6B4eHGSJXjo4SA5fYnXh/ENsw7iL15NdFj6S/ec919xnEdFr97"
    "mYvfwfdP/yuw=="
)
