from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "webhook_endpoints" (
    "id" UUID NOT NULL PRIMARY KEY,
    "model_id" UUID,
    "team_id" UUID,
    "user_id" UUID,
    "created_by_id" UUID NOT NULL,
    "url" VARCHAR(2048) NOT NULL,
    "description" VARCHAR(500) NOT NULL,
    "event_types" JSONB NOT NULL,
    "secret" VARCHAR(128) NOT NULL,
    "previous_secret" VARCHAR(128),
    "previous_secret_until" TIMESTAMPTZ,
    "enabled" BOOL NOT NULL,
    "disabled_reason" VARCHAR(300),
    "disabled_at" TIMESTAMPTZ,
    "failure_streak" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_webhook_end_model_i_a61a8f" ON "webhook_endpoints" ("model_id");
CREATE INDEX IF NOT EXISTS "idx_webhook_end_team_id_22b6a1" ON "webhook_endpoints" ("team_id");
CREATE INDEX IF NOT EXISTS "idx_webhook_end_user_id_4860c8" ON "webhook_endpoints" ("user_id");
        CREATE TABLE IF NOT EXISTS "traffic_routes" (
    "id" UUID NOT NULL PRIMARY KEY,
    "alias" VARCHAR(64) NOT NULL,
    "role" VARCHAR(8) NOT NULL,
    "weight" INT NOT NULL,
    "position" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "created_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "version_id" UUID NOT NULL REFERENCES "model_versions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_traffic_rou_model_i_7f18dc" UNIQUE ("model_id", "alias", "version_id")
);
CREATE INDEX IF NOT EXISTS "idx_traffic_rou_model_i_60957f" ON "traffic_routes" ("model_id");
CREATE INDEX IF NOT EXISTS "idx_traffic_rou_version_72e335" ON "traffic_routes" ("version_id");
COMMENT ON COLUMN "traffic_routes"."role" IS 'SPLIT: split\nSHADOW: shadow';
COMMENT ON TABLE "traffic_routes" IS 'One version''s part in an alias''s traffic policy; an alias without rows has none.';
        CREATE TABLE IF NOT EXISTS "drift_profiles" (
    "id" UUID NOT NULL PRIMARY KEY,
    "source" VARCHAR(8) NOT NULL,
    "rows" INT NOT NULL,
    "features" JSONB NOT NULL,
    "prediction" JSONB,
    "created_at" TIMESTAMPTZ NOT NULL,
    "drifted_since" TIMESTAMPTZ,
    "checked_at" TIMESTAMPTZ,
    "created_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "version_id" UUID NOT NULL UNIQUE REFERENCES "model_versions" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_drift_profi_model_i_1c155b" ON "drift_profiles" ("model_id");
COMMENT ON COLUMN "drift_profiles"."source" IS 'UPLOAD: upload\nLOG: log';
COMMENT ON TABLE "drift_profiles" IS 'What a version''s inputs and predictions looked like when they were right.';
        CREATE TABLE IF NOT EXISTS "drift_thresholds" (
    "id" UUID NOT NULL PRIMARY KEY,
    "psi" DOUBLE PRECISION NOT NULL,
    "ks_p_value" DOUBLE PRECISION NOT NULL,
    "chi_square_p_value" DOUBLE PRECISION NOT NULL,
    "min_rows" INT NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "updated_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" UUID NOT NULL UNIQUE REFERENCES "models" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "drift_thresholds" IS 'When a model''s inputs count as drifted; a model without a row uses the defaults.';
        CREATE TABLE IF NOT EXISTS "webhook_deliveries" (
    "id" UUID NOT NULL PRIMARY KEY,
    "event_type" VARCHAR(32) NOT NULL,
    "message_id" VARCHAR(64) NOT NULL,
    "body" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ,
    "lease_until" TIMESTAMPTZ,
    "lease_token" UUID,
    "last_status_code" INT,
    "last_latency_ms" DOUBLE PRECISION,
    "last_error" VARCHAR(300),
    "dedupe_key" VARCHAR(200),
    "redelivery_of" UUID,
    "created_at" TIMESTAMPTZ NOT NULL,
    "completed_at" TIMESTAMPTZ,
    "endpoint_id" UUID NOT NULL REFERENCES "webhook_endpoints" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_webhook_del_endpoin_80dc21" UNIQUE ("endpoint_id", "dedupe_key")
);
CREATE INDEX IF NOT EXISTS "idx_webhook_del_created_80aae6" ON "webhook_deliveries" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_webhook_del_status_d0f04a" ON "webhook_deliveries" ("status", "next_attempt_at");
COMMENT ON COLUMN "webhook_deliveries"."status" IS 'PENDING: pending\nSUCCEEDED: succeeded\nFAILED: failed';
COMMENT ON TABLE "webhook_deliveries" IS 'An outbox row: written in the transaction of the change, delivered by a worker.';
        CREATE TABLE IF NOT EXISTS "webhook_attempts" (
    "id" UUID NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "status_code" INT,
    "latency_ms" DOUBLE PRECISION NOT NULL,
    "error" VARCHAR(300),
    "succeeded" BOOL NOT NULL,
    "next_attempt_at" TIMESTAMPTZ,
    "delivery_id" UUID NOT NULL REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_webhook_att_deliver_b8d516" UNIQUE ("delivery_id", "number")
);
COMMENT ON TABLE "webhook_attempts" IS 'One try at sending a delivery: the delivery log''s lines.';
        CREATE TABLE IF NOT EXISTS "jobs" (
    "id" UUID NOT NULL PRIMARY KEY,
    "key_id" UUID,
    "status" VARCHAR(16) NOT NULL,
    "format" VARCHAR(8) NOT NULL,
    "filename" VARCHAR(255),
    "input_key" VARCHAR(128) NOT NULL,
    "input_bytes" BIGINT NOT NULL,
    "input_sha256" VARCHAR(64) NOT NULL,
    "chunk_rows" INT NOT NULL,
    "max_failed_rows" INT,
    "columns" JSONB,
    "classes" JSONB,
    "chunks_done" INT NOT NULL,
    "rows_done" INT NOT NULL,
    "rows_failed" INT NOT NULL,
    "bytes_done" BIGINT NOT NULL,
    "lines_done" INT NOT NULL,
    "row_errors" JSONB NOT NULL,
    "error" TEXT,
    "attempts" INT NOT NULL,
    "lease_token" UUID,
    "lease_expires_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "started_at" TIMESTAMPTZ,
    "finished_at" TIMESTAMPTZ,
    "model_id" UUID NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "version_id" UUID NOT NULL REFERENCES "model_versions" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_jobs_lease_e_045721" ON "jobs" ("lease_expires_at");
CREATE INDEX IF NOT EXISTS "idx_jobs_created_7005f4" ON "jobs" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_jobs_user_id_260af5" ON "jobs" ("user_id", "created_at");
CREATE INDEX IF NOT EXISTS "idx_jobs_status_bc5fcb" ON "jobs" ("status", "lease_expires_at");
COMMENT ON COLUMN "jobs"."status" IS 'QUEUED: queued\nRUNNING: running\nSUCCEEDED: succeeded\nFAILED: failed\nCANCELLED: cancelled';
COMMENT ON COLUMN "jobs"."format" IS 'CSV: csv\nJSONL: jsonl';
COMMENT ON TABLE "jobs" IS 'One batch of rows predicted by one pinned version, in chunks, by whichever worker holds';
        CREATE TABLE IF NOT EXISTS "job_chunks" (
    "id" UUID NOT NULL PRIMARY KEY,
    "index" INT NOT NULL,
    "output_key" VARCHAR(128) NOT NULL,
    "rows" INT NOT NULL,
    "job_id" UUID NOT NULL REFERENCES "jobs" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_job_chunks_job_id_876d6d" UNIQUE ("job_id", "index")
);
COMMENT ON TABLE "job_chunks" IS 'One committed chunk''s output (JSON Lines in the artifact store); one row per index, so';
        ALTER TABLE "alias_events" ADD "traffic" JSONB;
        ALTER TABLE "prediction_logs" ADD "shadow" BOOL NOT NULL DEFAULT False;
        ALTER TABLE "prediction_logs" ADD "agreed_rows" INT;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "alias_events" DROP COLUMN "traffic";
        ALTER TABLE "prediction_logs" DROP COLUMN "shadow";
        ALTER TABLE "prediction_logs" DROP COLUMN "agreed_rows";
        DROP TABLE IF EXISTS "drift_profiles";
        DROP TABLE IF EXISTS "webhook_endpoints";
        DROP TABLE IF EXISTS "webhook_deliveries";
        DROP TABLE IF EXISTS "job_chunks";
        DROP TABLE IF EXISTS "traffic_routes";
        DROP TABLE IF EXISTS "webhook_attempts";
        DROP TABLE IF EXISTS "jobs";
        DROP TABLE IF EXISTS "drift_thresholds";"""


MODELS_STATE = (
    "eJztXelz27a2/1cw+nKTGbWTKHGSup0740VJfOsl10t73607NEVCFmoKYLlY8evr//4ALu"
    "IGUgRFyiCDD20SEgekfgc8ODv+Gi2JCS33+wMb/QyfRvvgrxHWl5D+JXdnDEa6bSfX2QVP"
    "n1nBUN1G2gN8Ci7qM9dzdMOj1+e65UJ6yYSu4SDbQwSz0QfAIvj+Ows9QhMYDjQh9pBugT"
    "lxgO2Qe0dfuvvg7m7pPmg/2f7MQoaGzH9qP7mQjvb+eXc3Bu6CrDAg2IDfs4eaxKBPRfi+"
    "g/lv8S2+wNYT0DH4fHZw9N3V54PJ3jtA5sBbQBASgRf099PHzegwesl5hM53C2iZwIa2DZ"
    "2XALnA9Qh9mX06wNQpdLoLb7HpL22wIJbpAkyA7zJEAZ1qTJ9m0pHGAhoPwCCu59K3gcEL"
    "AEenD3bo0+kb6cDWXXdFHBMsdHcRoOFj9KcPNY/cQzaQYvLb7/Qywib8Ct34n/aDNkf0FT"
    "NMRyabILiueU92cO3m5uT4YzCSIT3TDGL5S5yMtp+8BcHr4b6PzO8ZDbt3DzGkrwvN1HLA"
    "vmVFKye+FL4xveA5Ply/qplcMOFc9y22qEY/zX1ssLUEgiex/739Z/RqqWGadn5xrV1Nrz"
    "VtVFiD7BVyyya6ZBDM1i/CHgPqr7/DeRNAgqsj9oCjzweXL968exlAQBl07wQ3A7hGfweE"
    "lM0haQB6gvJ60RXBPlroDh/sDFEOc/rK3aAdA9UBtKOl/lWzIL73FvSfbyYVUP9ycBmiPQ"
    "nQJlS+hILnPLozCW4x0BOQgz8F8I3HtwNtfCHBNpGGOwf33dsa4L57Wwouu5UFN5R6GhM5"
    "IhjnyBTUdaA2CJujgPK/ri7OS1BeU+QANpHhgf8DFnK9roBOieeZjywPYfd79rznkNAMIT"
    "bz0nX/tNIwvzg7+E+eA0enF4d5Uc4mOMyxI1B/qBQW4kiGaCumRBJalsW/a/Sp+GDYaLpX"
    "hP+Y3vHQEvJZkKXM8yAi/T7+Sx/lEP2BJlNUo1VSwZrrk7Pp1fXB2ZcMf44PrqfsziS4+p"
    "S7+uJdjmfrScCvJ9efAfsn+O/F+TTPxvW46/+O2Dvpvkc0TFaabqZUjvhqjFqG6/Crjehs"
    "DbiepWyB6/35/mRicoxJJZcd+EgeGn3bWUrFZZm5bOmup/luIz7naRWn+8FpZIsYCXm6Rl"
    "aCZHzt2kigcDlcf0K58yZF0qYHpwj0Lp0Kzf01zCU2f+C6axhSRWQ/Egeie/wzfArwPaHv"
    "oWOD50KIPKk30TS9RDS5mjzf0VdrF2J6OdGfTn8w9MLv/ODq6OB4OgoAnunGw0p3TC2DNL"
    "tDJiR3ZT22eGs5Weav6Fi/D7Bhv4K9cwT6JZxTPi+uqX6ARxz3dub+uMrJ7YQjNY8Nrenq"
    "vsAQRHQgoAMvZk8AeS64u/vDQ3d3L38ETNIFnuYx8ydjOt62dCP0JbORrm8Y0HWJU/R0tz"
    "+9ch1LIIrGFa5j5Lp+I90pQ6jMX1k0qZ6Zv7JxvSdcrqUvNzSKlD3UE/66dJulP19QTc9S"
    "KU29UlOPwGpBWb9KZuolrhv19ey6kkllj6HnaOsprpQr6tEvE1DRLXKP8H6QzjHXl8h6Yr"
    "kVHoCP0HkCDvEY83OKdpD9QccEpGAGWcqJS+/xlfS2H6DUdAnkUJWaruJUSlGXXVGXZLeX"
    "ickqTqW4nOMylVYuT6Msj18UKYcXwWg/XS/wH1OFEHO+qnKss1TDw3my964G0HRUKdLBvS"
    "zUYuE4FYRTQTgJTHsVhOs2CJfe+fKBrizmhxH9x58voaV7iLvHlYTXemarlOH+d5f+j2CJ"
    "cpwf8dIt93ww9tdze5QjoFwLEsjBcYVrAS51ZIls4GuCARaNvKqlhr6q0ENf8XZx0dqRNM"
    "3wUP6hDsg/lGP8Qx7iuGRNuH6kQDjACpLJ3l4tlX+vQuXfyyPuEKtkQU+xvyzoTll7NqLd"
    "HdZrZU8A7dHN1fRyn6W7OLf44Pjs5Hwf6OYS4bxDvg4PXtexul6XG12vizaXq9H9GD1yuH"
    "BIKMA6LkvbSNHlODCjhF2xIBY3u90WDy8uTjMOosOT6xzGN2eHU4p9AD0dhEIF9+T8WlWK"
    "KA/8yLfNhlzPUiquy8J1jrM2enuOPmEsdHzfiP0lUygfvTxsL6kwCALkTYtJ0sSK17Lxuu"
    "AOrOO+Sjcjae64Stqe9EzMl7qsOKloW2LUao6UfCAlDrbmEJ2xP4YKUKwoP0KnhdUUQPVL"
    "OFVvRe2Gz47a27xWDkIfHZtjqCtqCZczugIWyN4SpWuoL8+CyYYElVDUIaUmoSXyKgC9wP"
    "Ca0P9thpWFIE7Xsw3kCxUMzxxYSA/1qHyntODGuLJRGhsCOwjR/BY+jU0cvNXvKmYjU8xG"
    "9aLqMu1C+Xy+QZ9P3FJJRHylabpNt5HFzN8os4qf0exJNIcpT7gFtHLqDFsiG9lHgrBmqV"
    "R2WGV22Fr72TI9bGj2+jiXIJaWgPwMMc7CbQvX+sa9nEt2I7rZT3YzvonkbAHimpmNckrY"
    "zZmN+U0mgy59C3B+c3r6XCWLgek3fYTB6/MNw/DueKN1qEE2UKB4cUkeIasWZM2g2QT7YL"
    "UgwCYUS2gC5IG5Q5b0GjIWIFqgwCPhhTH9A+Kg1/Rq8cSvXWx5fpVfKMFOOq6wVfXYjVHX"
    "WF0TKGu1hrXapJ5oqzqiZhlYXa3ZLLx7r+okcNJRpQAH97II06fN58goQlzenzdForrzfi"
    "vdeXeaUdtPR0ydlCuqoBDRsqc0jfIWZD8ipk5pzVwGHFKFLr99u5xuw374YTKbLWm4VguE"
    "aqX2zcMlowtGzMGVFpi793LJuWw3QszZZUqcMXxBoYCuCXRBRNaAOdCslDdxA7Jp/VMqR+"
    "KJCZc28SA2nkrO48uNGFc5FFEyVuh8PsNCEHvfGQviQsyOowvOztOBAyn8Qacyym3XG4Pg"
    "pCGTuftYazNDtyzohCfXYUDvOEE6Ee+Evg6ewM2KiQvJgmnYX+ijVHKMXA7HNW/qOsTWBA"
    "N0OLbfWOcBcqJL5eBGwwcI7evJhzpVnZMP5WWd7F7OWqfPh47tILG+RTmyAaLdhefcpe8r"
    "aGZmiFTOj3LYKoetzG2qevINVfhppOtTJaUBJulpMaFzjGN1rb1m5cZWcqnt1H72Lq6th8"
    "tFpffLZ8FkGCSS478mGlxkv/2mQaqGokPdOv1aBYyv4VePj3GObACruErPm/7nOqPiFVIm"
    "1mre6cX5p3h4Po8iFz/T74VOko7Hq5O9q1mhsleUMaQaBn2LXK9TPBYaHE24nqVULWPkYX"
    "Lx27Z9p2EzqDSh4rHMPLbIvWYTCxklQY7N7S2zM+xQhZ3TCQR1p9HHm9NTOhmlvMWfD64+"
    "7wPWCfUWn1N4KbsJDn+foD1RJy5SHhUpxERsBzJ9lOUtGLqxgJrnWRpHyz3BJWZF+QQ59k"
    "Thk359fvR16R/fTV6/ff/2w5t3bz/QIcF7rq+8r+BHsdMlWWFhh26aRnl08zYZ1Jei2YwJ"
    "Sad5jP1IEK1wjwcLT/nHN/nH09/n5jRGtvpawPQ6mqaPq3RzMl3yhQpnfOWK47Zt4bVuFD"
    "SQxZtNQMwVsW4J07psdohYPUvjvF4ipTrnbQAoUZm3ROnLeqJTcj9UtKJ6T80hvrftsroO"
    "57pkUw0VL9NBc0+zHTJH1rZ4HbO5voRTDQkvobyEBNo/feLp5YjW780YbAP/jmfrl0kssA"
    "i9BTtQjDAcWwAtWIzXmSkHglyTzJdYiShLgEkpGRvyYDI9gbtrdekHHV7pD0tdpKrCZO+d"
    "SpGRLEXGj5vx1vQBJgSNfH6ybRttO/2oLe/5JW1aNvu8E+od+rttiE0GkRjCoy/T8+OT80"
    "/7IKK/xZfTg+P/2QcsPPl0iz8enJxOj9kTqUJh3mLmlj75hV3RHWOBHqHZxCXe/glQuuOh"
    "OZWCmmBBRp5ugPlMnVRmRPuAANIJxQAxbj9nzEX/yzvNDN2XyvSYYkgS/YfJ5M2b95NXb9"
    "592Hv7/v3eh1dr0V68VSXjD08+MTGfgZ8j94nvGFCbE2fJi2tXLO484QDXePtC24XOI32+"
    "qMzOkQ0R6k5EdgRbg9VdoBwi5p0t7waiPEepRHpjkT536F9WxHkQWfAZogGu9fbroNeIlf"
    "chqQF3mrgR7JL5j7pGPcKoAeRFSoX3Zryh6yG6AxJHMyzdFerjyiEdoGChFl4NzOmoiuO1"
    "i/uo/ghNbYU8zmnm5bUcWSo5KjrYYwdT0eGie6x7vsPRbSq4kiZSTGmdKQjbvqfBr/rSto"
    "QYUyBUrXqbc2GlO5i+j1DtWZpGjg9jUPVnqgbzmWowl6zpmCH0KaRI5PgSBrVFqKJYaVhB"
    "HHSPsG5pLF1HtASfSzwAAZW3KPZqWRR7FRbFXt6iMMjSZvFMUc9znm54NnMnnuc1bOxR+s"
    "zVTDSfF3H/aBG9ZBsunSHHgTmbon88qID8+OLm8HQKvlxOj06uTiIZtC4SDG6yS/QCClPu"
    "L6cHp/nDB12oxQhyHNGEWFDHJXXYOdIc3jNK25WAiTN1dov34cXFaUbOH57klZybs8Mp/Q"
    "ZeZnEvup5numcsghXrkJVIhV6RUFXmVcG70pGnLTkIV0gULrWSJjWkSb86eex2ifezqUOd"
    "Vh4x74QPsC0QqhLOrH0s9ZkpsgiuQR3tIUUO+3irsz2Sr7oFaFs7DkHG0tiC/FMFskOs1J"
    "NTB2ytkCpTo1aOrGBtUP1CtT7BK1AYFFbNciqC1uW05aVASdVuZyVAQbtlVesjVa2PBR95"
    "+kzNdkwxscy5J6NfTqa/Ti/3wSOCK+jcYmquHp8cXV/QS5F8J/Tq2cHJ+TX9j41cMtDpf6"
    "Ee8fypn8pGLod+uDayMuVato1lPkyhH54GZRgL63DjrQxj6U6okNEmlvSAiqBFF0cZj1t3"
    "levirP9VB6q40rxl0ryf94yEzRjvLrG+9eMnVHbeM2XnKUOlfM0P11DpSTCvJxZLhY4tZ5"
    "hESjW7zThJoqE1DwDUNWt6AncuJ5u1/9m2NR/Vec9g3EeoZ8K9nfhIA/siQqzEykjwrLY1"
    "tBQH65w5Hg1fIHsM2FHgGCD8iLyAw+z4b4IhWC2QBcHd3R8E4WBfv7sDyA1+A++Q8Tam5E"
    "Yf4n7LKvggnwnkEF70r17sIaYdbOjhFh8cn52c7wPdXCIsRyAi+CYb6fdZSqXf90m/X8tb"
    "UaZnCNXZPDKfzRN/n8I2XIFQ2XCSnFAim4RUQTw50KxwMOz2cBJJF2jj40lUBK+zCB5/q1"
    "JesA24FjZnYS9Ylw6MbFIsx4dRyJotd2OkjqGzyH33wdNUWmMqdPE7626e6oKVvqV8Dc/r"
    "a4D017oeV3UoD7pmqWT2NTQMvnbQarh33c4bOHYuft4H5OEWTy8vmTMHOg5plCva8mmewX"
    "tQNE2hzIIs1fC6ELTfuQ+L1mDj7WqvpZMhLRdfW/SnY+NJtOo6S9aw3Fo2bDuutw46swl1"
    "7EkoVBO3LVvpuRo7AlpENufIhiec21dAiO+JLvEUiVrjW/TwXOgmWRWBr+wJkxDtsBvM+k"
    "pv28HolBHUshTUQ3JUqhFMEdh+5TBK4nLuXbzL0C1LOJCQIVKNR1S1WpeARm5EQUizVCoW"
    "q2rWdl6zVnp+RDNc65+WLueS3Yhu9pMtidAU9y6Zgl8yxhQzm7VUca8D30TeFHvO04gT9E"
    "rdHVdFvHQ2ToN0IOqib4fKlJUpeqWMkm/BKNENfslixYGza4quwmXPVxf6tk5w7G15dOxt"
    "ITyms3xrQYU6TaNMPg6c9BeWdRCqQnRNplzam13aIWRLujkTofSFPN3wsO7g7O8AM7ptml"
    "S3QrqoT6OEXFni+WNDHKprhngILOgcmcw5ItIs6AgzscSnDFFHYuP5VIv2JXSEl/BmmKcb"
    "oITu4gyQZ/Q2y7Wu23TekxUWDokUKRW0WXXCNOlNocNdUyTDEwfti95ny+z9xnA2oacjzu"
    "ZWnlaTUMhx2lvvD94rxLKex4EdxGX+7RNPH3Ec2Km74yoHdrh1/MkG1uw8kdSDALoWPBfA"
    "R+g8gdDTD8g86BIRTAuW+hNwbYhNEDu1fwR68DvAjPj0MnLpHMFfoVlsSNHpk5S3XYo9ut"
    "zbblNlZomw73Fs09LUqiyRyqwqZlYxhEydU7VXiWlEoQAtAurbZsOoUJZSteOQOExUaLcV"
    "8064VUOBUDklpfEqNNhppYSzItsqWX5FfFXddrYePv+ltpC/sjHtLT5tp+ukNxlWdgspb+"
    "2ZU2wtn6IlinaunDmVujuuMqeCHgpWMnBzHz8cthZDbKBHnH+4gFArx0EmjC0cNie9zLgL"
    "wqnXtk3wT2bbUBMGRGziNPbr5hnKgpJA1I+rLKikHUNgP2vNTKrqWZRJwDMJLKKbIVIL4n"
    "OyREvR5pEqiJXVpawurkqmrK7BdXSTQTNVNtcgbS5+GzhBk6tpEzgZ1nXLpzht1znd0edz"
    "ZFwSP3hEsXd6+v64snt6OFJz2NCadhflN4hqfqjdY+sONXEw63genMdML0WTAptYyHj6cX"
    "0LrBBdFb4HWPk2WNALmBpQRaOriwdUn+yqx4dAx7VfqtG6VObYmj+1U1BiggFmWHaQgTL0"
    "PvZXX05PrveBa1vIu8VXnw+OL36l/1x37njmtmcrqscsONZYqambEOyuHderrhZ321Fa4i"
    "J+GVK5nyZFogDtd0MR5S/Y7C9Qh6KpKO1wMpSfudHIYDDtV6MRGV0APekz0lN0K/qMcPFV"
    "p03u8LTJLtO1jx009744ZI4srrsrc39c5e4y2UjNDofWdHf9utA9oKccUmFLU6BjEyQBXh"
    "dYhDxAE1jogZ30BzEL+j+BFXQgcJi1VvRztTqzSimQYAsdV/iwXOI7RmM3S0IttaPl5svp"
    "xcHxPghj8bf49OLTPl2/9xI4WQQ7jap+56Nyl8Ccbhe+A4V6FKdpdl9O9TwadyddipOtQQ"
    "T+LJXqEt0cf+UPK5czw/WHBaoj5Z2LMG8Xr2Z8gVgdJipPqhTH97mAxkOzLzxDqbgsNZeV"
    "h1t5uHuBp2webhnysZSDW3oHt3LAPqsDtkakoUnJ3BZxBhnkRithhpZ929cLKqgWJBzPd2"
    "+nhow3e7i97OgaPm6IgR42BEn80AbxsQd0F0Tmy4/xkHWepc4yLVkFXKbEzeW5utt/gPJ4"
    "S7Cnjis83raLOIK//DjEaLw6B7HOOYgPrmZrj7rlc5wRFRhnyRTUdaA2Fkhz//R1BzaCnE"
    "+uoK8D/RIJH1WbJlHBG1X/KQR1P/3Xqv5TebvksbDa9cyoClBJKkBV1x25uu78CmcLQh4O"
    "PA8ubW/EcRzkRoyr/AarcCzd2oPBAqWgnvMEdA+4EJsUQmqx07kR6za6H5ns4b9YFhC1/C"
    "2EIcc/sM1E3NLOePQoWFbLGb2uajql8g5EXKmv2CcESq3nqPVU8jrN1Pos5QDV+v6q8cWo"
    "NWWW57uUe6ZIJ6oclWqLVPx+LPrLsfGkLTnOhgrvTpZMeXXqeHWg4xCO5C8v518TDO+cgz"
    "evXtXIc6ajSjOdg3u5vcA3DAhNyFFkDgmxoI5LxESaLof1jBIOaykfXlycZsT+4cl1DuSb"
    "s8Pp5YvXL7NLuig8MPzqxbpzgx2YQ65yx2TehWPzQtDtkyPrNs9JFuY29/2kjbgtPT+RLX"
    "ycmrGfCG/0QeTWWA03xM4K+fJMKPdZpPm02WkR/eS654izrr7E92bkK8su2AcrB1HRi1mT"
    "KeZooMTYDQ8mZj1+2SVjoeN7OlH0IGiC2RPQwYo4D9Dhdg1ue36ukwNi0yaR8k43bd+G2g"
    "N8Kjg6fovU/8AXkttpfldekGf1gsBHiMWPEc1SyVwR2FQrntRRiiflOvGkcOIidF0qlQRP"
    "WctSDRDo9puJzYjJ2bCvqdzhQxyPHwS4VTru9D/XGfW2UIu2VnFPL84/xcPzBWoFp18k2I"
    "srukZR8Zp6d+CP7NC/LyimR1+m58cn55/2QUR/i69ujo6m0+Pp8T5Y2623+OPBySm7NNeR"
    "Fdqxz3+CcTqoUtNhlyZRLcmUuf1tm9sW1F2o+djjnd9ZzescqeKz/Hz2yAPkFCuUGx85Mp"
    "WglI9suJ7WLG7EI1XBI17wiOLUOIJUoG0YRpIM5I6jSAFuwqGkLJWKJ9WKJ6WcSwJQZ6mG"
    "B/WkFtSTCqgnRagduHbgkrnIJlggVNtgn/u2SJK42zsV0iBLm4U7GvE5R6uMBZk5HUc/BG"
    "OwOTIVg62OwaZjTO3EYKepGfuJ8MYYbG6NicZgC55DLWqhmEvliYg//nwJqf3Ab+1Wmgs+"
    "EOj/3kHAer1iywPW6UW9OWAdr4968epyjFQJvATCc1wR3n3G2rDNmockKqaACu9BfSmIZo"
    "pEgZmtCH2ucyuHCKYUzeQk3bO3XacOJ+hT7nWKhg8inSDvb3pbpyc2G1bhcXpb6IydfjkB"
    "oHNkO0wh6EoHyMK9V8u9t1fh3tsruveSzC2h5tk5st33z04pYzMfWR7C7vfsec+hj3XS1d"
    "mFVBJzrNzy9Z9QDFDWvJ7UETV0VHkazKQgaGwHPiLiu5o42BzS4QUUdgF6syyK0kmUi1Ru"
    "FynDWLQKLEW1wxqwWOfvbQ2YidwAN41q9K6gKlUkHZ506yYyHSMnHu3JkSpJJrMkY+m8vg"
    "M1+vug/lBkdWkGU5FQpdOqE37rQ93PjnB1TjRRfQCHxnWOJF2HyApFnptCj9miyq0jjwOs"
    "vO009PgvMhtxwo3s8rgqxPgHmQk075rpnrFgVaisY2p86GRYfkrobRthTP8VtUQfswpWY+"
    "HjB3fMRqwWyFhAejMqVAXrjuOF3l4dPOcWs8rZIPUbvLi7S+WA392BwD4F8VX41Ub0C6Ly"
    "6u7uZc3e4b+lgx2pbY4OS9fT5h+gCmqfOeL6AEUjMAmFypjsfXUhHepDU3DJjv59M71hRY"
    "Mh9S2+vDk/D4oNHR/j2sWGt/jo4PxoehpcMhgmljQliHPiLHmKXj1WJtQyu7pHR1e/UODd"
    "x1vMPPyn++APl2CrCQNaPnuWHTcd/J2Lf4nhmqIZnjNosrdXJ5S5t1ceyWT3sjAHx4qIVi"
    "lkiGRe3jIFFULQZk8e1zpA96XumBzhkDp5/jCZvHnzfvLqzbsPe2/fv9/78GrtlyneqnLQ"
    "HJ58Yj6aDDeKTpsQSXehT/beia/3hG6AS779phaBNSJ6EkWWaEhLvTXPI2NbqDwJH/NRpF"
    "SFqRzXbgCYUK5JikQdE77FMeGW7rpiWT4pEoX8FsgHriPNJFik1D1HpaJEeVHCxKwoqBka"
    "BSkX0qRTkQioCZWCNQ9rYF6ULNUq4yRLNxhcd2yYBCdziAqKLNFgoG9TUoRdK4QUiiyVyh"
    "puXdUoaT9S3u1wUJ1Hdt3tUPXRa7ttkeq31UW/rXxMuABtnZZ1WfqdZCdKUnYneUpNMZOq"
    "X/lzu+RyTxOpVPrct8j1svQ5SU9Z68/eKTmTOdnmCCN30YjNOVLFZ5n5LNPRzfKytQ89JY"
    "YJZ5QQK4holkqBuuGAcZd3Cm1XR4tLCunms8WTr5TfzawgVlvAtPFh4T0BdfNx4Rxh0Bau"
    "vyTTDRTerBxs3oQvjAxzQkkCVTD/IrMjNs2A4O66/CXEi18Ds8ayshBGSzhXrxzGIMslO6"
    "vNDMtP/uGyc9xs3wMvmPMfnLIgVXyMG7Xm0JzOCFyPfn8vfwwKWRyyAjZ0QMCqMXDJKAdx"
    "R4+5xTpwIH1IPCdALsBBzYxBfMweRZz1QXTeChmw/Fi5P8Iao2DywmFyqrzlWctbQqYUgK"
    "7It43Gq/RDTvwj/OxEM8azVAPMn+0kZVwwv1OlzVasW7a3icnbhELZg9X2YLT7baliR3W6"
    "/QR0o2adrCaZjhc+gA4yFjyNMbpTqS/qyRhpGjKXb+s1M/8i5m2nN0kvGMvVpVKbuXx3T5"
    "EMcGvvpO6OfVQCCEfDB4ju61otrl5XtLh6XWxxRZ9IjTZOIKqqhGNNsvukv55XEgg0S2l/"
    "M/v7/wGH/VeM"
)
