from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "webhook_endpoints" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "model_id" CHAR(36),
    "team_id" CHAR(36),
    "user_id" CHAR(36),
    "created_by_id" CHAR(36) NOT NULL,
    "url" VARCHAR(2048) NOT NULL,
    "description" VARCHAR(500) NOT NULL,
    "event_types" JSON NOT NULL,
    "secret" VARCHAR(128) NOT NULL,
    "previous_secret" VARCHAR(128),
    "previous_secret_until" TIMESTAMP,
    "enabled" INT NOT NULL,
    "disabled_reason" VARCHAR(300),
    "disabled_at" TIMESTAMP,
    "failure_streak" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_webhook_end_model_i_a61a8f" ON "webhook_endpoints" ("model_id");
CREATE INDEX IF NOT EXISTS "idx_webhook_end_team_id_22b6a1" ON "webhook_endpoints" ("team_id");
CREATE INDEX IF NOT EXISTS "idx_webhook_end_user_id_4860c8" ON "webhook_endpoints" ("user_id");
        CREATE TABLE IF NOT EXISTS "traffic_routes" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "alias" VARCHAR(64) NOT NULL,
    "role" VARCHAR(8) NOT NULL /* SPLIT: split\nSHADOW: shadow */,
    "weight" INT NOT NULL,
    "position" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "created_by_id" CHAR(36) REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" CHAR(36) NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "version_id" CHAR(36) NOT NULL REFERENCES "model_versions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_traffic_rou_model_i_7f18dc" UNIQUE ("model_id", "alias", "version_id")
) /* One version's part in an alias's traffic policy; an alias without rows has none. */;
CREATE INDEX IF NOT EXISTS "idx_traffic_rou_model_i_60957f" ON "traffic_routes" ("model_id");
CREATE INDEX IF NOT EXISTS "idx_traffic_rou_version_72e335" ON "traffic_routes" ("version_id");
        CREATE TABLE IF NOT EXISTS "drift_profiles" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "source" VARCHAR(8) NOT NULL /* UPLOAD: upload\nLOG: log */,
    "rows" INT NOT NULL,
    "features" JSON NOT NULL,
    "prediction" JSON,
    "created_at" TIMESTAMP NOT NULL,
    "drifted_since" TIMESTAMP,
    "checked_at" TIMESTAMP,
    "created_by_id" CHAR(36) REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" CHAR(36) NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "version_id" CHAR(36) NOT NULL UNIQUE REFERENCES "model_versions" ("id") ON DELETE CASCADE
) /* What a version's inputs and predictions looked like when they were right. */;
CREATE INDEX IF NOT EXISTS "idx_drift_profi_model_i_1c155b" ON "drift_profiles" ("model_id");
        CREATE TABLE IF NOT EXISTS "drift_thresholds" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "psi" REAL NOT NULL,
    "ks_p_value" REAL NOT NULL,
    "chi_square_p_value" REAL NOT NULL,
    "min_rows" INT NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "updated_by_id" CHAR(36) REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" CHAR(36) NOT NULL UNIQUE REFERENCES "models" ("id") ON DELETE CASCADE
) /* When a model's inputs count as drifted; a model without a row uses the defaults. */;
        CREATE TABLE IF NOT EXISTS "webhook_deliveries" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "event_type" VARCHAR(32) NOT NULL,
    "message_id" VARCHAR(64) NOT NULL,
    "body" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nSUCCEEDED: succeeded\nFAILED: failed */,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMP,
    "lease_until" TIMESTAMP,
    "lease_token" CHAR(36),
    "last_status_code" INT,
    "last_latency_ms" REAL,
    "last_error" VARCHAR(300),
    "dedupe_key" VARCHAR(200),
    "redelivery_of" CHAR(36),
    "created_at" TIMESTAMP NOT NULL,
    "completed_at" TIMESTAMP,
    "endpoint_id" CHAR(36) NOT NULL REFERENCES "webhook_endpoints" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_webhook_del_endpoin_80dc21" UNIQUE ("endpoint_id", "dedupe_key")
) /* An outbox row: written in the transaction of the change, delivered by a worker. */;
CREATE INDEX IF NOT EXISTS "idx_webhook_del_created_80aae6" ON "webhook_deliveries" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_webhook_del_status_d0f04a" ON "webhook_deliveries" ("status", "next_attempt_at");
        CREATE TABLE IF NOT EXISTS "webhook_attempts" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "started_at" TIMESTAMP NOT NULL,
    "status_code" INT,
    "latency_ms" REAL NOT NULL,
    "error" VARCHAR(300),
    "succeeded" INT NOT NULL,
    "next_attempt_at" TIMESTAMP,
    "delivery_id" CHAR(36) NOT NULL REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_webhook_att_deliver_b8d516" UNIQUE ("delivery_id", "number")
) /* One try at sending a delivery: the delivery log's lines. */;
        ALTER TABLE "alias_events" ADD "traffic" JSON;
        ALTER TABLE "prediction_logs" ADD "agreed_rows" INT;
        ALTER TABLE "prediction_logs" ADD "shadow" INT NOT NULL DEFAULT 0;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "alias_events" DROP COLUMN "traffic";
        ALTER TABLE "prediction_logs" DROP COLUMN "agreed_rows";
        ALTER TABLE "prediction_logs" DROP COLUMN "shadow";
        DROP TABLE IF EXISTS "drift_thresholds";
        DROP TABLE IF EXISTS "webhook_attempts";
        DROP TABLE IF EXISTS "webhook_endpoints";
        DROP TABLE IF EXISTS "drift_profiles";
        DROP TABLE IF EXISTS "traffic_routes";
        DROP TABLE IF EXISTS "webhook_deliveries";"""


MODELS_STATE = (
    "eJztXWtz2zaX/isYfdl0Rs0kip2kbqczcqwk2vqS15bb7lt3aIqELLymAJYXK9pu//sCFC"
    "nxAlIERcoggw9tEhIHpB6AwDnPueDv3oKY0HJfDm30C1z1TsDfPawvIP1L6k4f9HTb3l5n"
    "Fzx9agVNdRtpj3AVXNSnrufohkevz3TLhfSSCV3DQbaHCGath8Ai+OF7Cz1BExgONCH2kG"
    "6BGXGA7ZAHR1+4J+D+fuE+aj/Z/tRChobMn7WfXEhbez/f3/eBOydLDAg24Ev2UJMY9KkI"
    "PzTQ/x2+w1fYWgEdg88Xww/f33weDo7fAjID3hyCtRB4QX8/fdyUNqOXnCfofD+HlglsaN"
    "vQ+Q4gF7geoS9zQhuYOoVOd+EdNv2FDebEMl2ACfBdhiigXfXp00za0phD4xEYxPVc+jYw"
    "eAHg6PTBDn06fSMd2LrrLoljgrnuzgM0fIz+8qHmkQfIGlJM/viTXkbYhF+hG/3TftRmiL"
    "5iYtCRyToIrmveyg6u3d6Ozz4GLRnSU80glr/A29b2ypsTvGnu+8h8yWTYvQeIIX1daMam"
    "A/YtK5w50aX1G9MLnuPDzaua2wsmnOm+xSZV76eZjw02l0DwJPa/o5/DV4s107TLq4l2M5"
    "poWi8zB9krpKZNeMkgmM1fhD0G1N//rPvdAhJc7bEHfPg8vH7x5u13AQR0gB6c4GYAV++f"
    "QJAO81o0AH2L8mbSZcH+MNcdPtgJoRTm9JWbQTsCqgFoewv9q2ZB/ODN6T/fDAqg/nV4vU"
    "Z7EKBN6PqyXnguwzuD4BYDfQty8KcAvlH7eqCNLmyx3a6GBwf37VEJcN8e5YLLbiXBXa96"
    "GltyRDBOiSmoy0BtENZHBuX/vrm6zEF5I5EC2ESGB/4PWMj1mgI6tjxPfWR5CLsv2fOeY4"
    "VmCLGeF677lxWH+cXF8Pf0CHw4vzpNL+Wsg9PUcATqD12FhUYkIbTXoIQrtCyT/9Do0+WD"
    "YaPpXhb+M3rHQwvIH4KkZHoMQtGX0V/auA7RH2gyRTWcJQVDMxlfjG4mw4svifE5G05G7M"
    "4guLpKXX3xNjVmm07Ab+PJZ8D+Cf59dTlKD+Om3eTfPfZOuu8RDZOlppsxlSO6GqGWGHX4"
    "1Ua0twqjnpSsYdTb8/3JNMgRJoWj7MAn8ljp205KqlGWeZQt3fU03600zmlZNdLtGGlkix"
    "gJablKVoJk49q0kUDhcrh8Qj55ExOpk8HJAn1IUqE6X8Mosdkjl65hSGWR/UgciB7wL3AV"
    "4Dum76Fjg0chhEzqbdhNKxHdXt0+39GXGwoxPp3oT6c/GHrr73x482F4NuoFAE9143GpO6"
    "aWQJrdIQOSurJpm721GCzSV3SsPwTYsF/B3jkE/RrO6DjPJ1Q/wD0OvZ243y8iuZ11S81j"
    "TUtS3VcYglAOBHLgxXQFkOeC+/v/eOj+/rsfAVvpAqa5z/hkTNvblm6suWTW0vUNA7oucb"
    "JMd/3dK+pYgqWoX0AdI9f1K+lOCUFl/sqiSbXM/JVt1FsyyqX05YpGkbKHWjK+Lt1m6c8X"
    "VNOTUkpTL9TUQ7BqUNZvtj21Eted+npyXsmkskfQc7T12KjkK+rhLxNQ0S3ygPBJEM4x0x"
    "fIWrHYCg/AJ+isgEM8NvgpRTuI/qBtAlEwhSzkxKX3+Ep63Q9QaroE61CRmq78VEpRl11R"
    "l2S3l2mQlZ9KjXJqlOlq5fI0ynz/RVayex6M+sP1Av6YKoSY81XlY52U6h7Og+O3JYCmrX"
    "KRDu4loRZzxyknnHLCSWDaKydcs064+M6XdnQlMT8N5T/+cg0t3UPcPS7HvdYyWyUP93+a"
    "5D+CKcohP6Kpm898sOEvR3vkI6CoBQnWwX4BtQAXOrJENvCNQAeTRl6VUkNfFeihr3i7uG"
    "juSFymeyj/UAbkH/Ix/iENcZSyJpw/khHsYAbJ4Pi4lMp/XKDyH6cRd4iVM6FH2F9kdKek"
    "PRvKHg7rjbIngHbv9mZ0fcLCXZw7PDy7GF+eAN1cIJwm5MuMwesyVtfrfKPrddbmcjW6H6"
    "MnziicEgqwjvPCNmJyqRGYUsGmhiBabg67LZ5eXZ0nCKLT8SSF8e3F6YhiH0BPG6G1gju+"
    "nKhMEcXA93zbrDjqSUk16rKMOoesDd+eo08Ycx0/VBr+nC4URy/PsOdkGAQO8qrJJHFhNd"
    "ayjXWGDixDX8WLkVQnrrZlT1q2zOdSVpxQtD0xqjVGSj6QtgRbdYgu2B9dBShSlJ+gU8Ns"
    "CqD6dd1Va5faHZ8dtbd5pRyEPjrWR1dn1AIupnQGzJG9J0oTqC8ugs66BJWQ1yGmJqEF8g"
    "oAvcJwQuj/dsPKXBDnm9468oUKumeGFtLXelS6Ulpwo19YKI01gQ24aP5YP411HLzVn8pn"
    "I5PPRtWiajLsQnE+3yDnE5VUElm+4jLNhtvIYubvXLOyn9F0JRrDlBbcA1o5dYY9kQ3tI0"
    "FYk1IqOqwwOmyj/ewZHtY1e72fChCLr4D8CDHOxK0L1/LGvZxTdie6yU92N77blbMGiEtG"
    "Nsq5wu6ObExvMgl06VuAy9vz8+dKWQxMv9ETDF6fbxiu7/Z3WocaZA0FkhcX5AmybEFWDJ"
    "p1cAKWcwJsQrGEJkAemDlkQa8hYw7CCQo8sr7Qp39AHNSaXs5X/NzFmvtX8YUS7KT9AltV"
    "j2iMssbqRkBZqyWs1Sr5RHvlEVWLwGpqzibhPX5VJoCTtsoFOLiXRJg+bTZDRhbi/Pq8MR"
    "FVnfdbqc570IjadhIxZUKuqIJCRNOe4jKKLUh+REyd0qpRBhxRhS6/fLuctGE7eJjEZksq"
    "ztWMoJqpbWO4ZKRgxAiu+IJ5eJZLzmm7E2LOLpNDxvAXCgV0SaAzS2QJmAPNSrGJO5CN65"
    "9SEYljEy5s4kFsrHLO40u16BcRimjbVuh8PsNCEHvfG3PiQsyOowvOztOBAyn8QaUyOtqu"
    "1wfBSUMmo/tYaTNDtyzorE+uw4DecYJwIt4JfQ08gRsVEyWSBd2wv9BHqeAYuQjHzdiUJc"
    "Q2Ah0kHOsvrPMIOd6lfHDD5h2E9vXgfZmszsH7/LROdi9lrdPnQ8d2kFjdopRYB9Fugjl3"
    "6fsKmpkJIRXzowhbRdjKXKaqJd9QAU8jXZ0qKQ0wSU+LWZNjHKtrw5rlG1vbS3WH9rN3cW"
    "19PV1UeL98FkxigERi/DdCnfPs1180SOVQNKhbx18rg/EEfvX4GKfEOjCLi/S80e+ThIqX"
    "CZnYqHnnV5efoubpOIqU/0x/EDpJOmqvTvYuHgoVvaKMIVUw6Fsc9TLJY2uDo8qoJyVVyR"
    "h5Bjn7bdu+U7EYVFxQjbHMY2yRB80mFjJynBy7y1smezigCjujHQjqTr2Pt+fntDMqeYc/"
    "D28+nwBWCfUOX1J46XATvP59gvZEGb9Ivlck4xOxHcj0URa3YOjGHGqeZ2kcLXeMc8yK/A"
    "5SwxO6T9r1+dHXpX98P3h99O7o/Zu3R+9pk+A9N1feFYxHttIlWWJhQjcuoxjdtE0G9YVo"
    "NONWpNE4xnYEiBbQ48HEU/z4Ln48/n3uDmNks68GTCdhN22cpbuD6bZfqHDEVyo5bt8SXp"
    "tCQR2ZvMkAxFQS654wbdJmu4jVsxTOayVSqnLeDoC2KvOeKH3ZdHROHrqKVpjvqTnE9/ad"
    "VpN1X9esq67iZTpo5mm2Q2bI2hevM9bXl3VXXcJLKC5hC+1fPvH0fETL12YMtoF/Rb21yy"
    "QWmITenB0oRhiONYAWTMZJosuOIFcl8iVSIvICYGJKxo44mERN4OZKXfpBhVf6w2IXqaow"
    "OH6rQmQkC5Hxo2K8JTnArUAlzk+2baNu0o/a8p6fU6ZlN+e9lT4g321DbDKIxBDufRldno"
    "0vP52AUP4OX4+GZ/9zAph7cnWHPw7H56Mz9kSqUJh3mNHS41/ZFd0x5ugJmlUo8fpPgNId"
    "D83oKqgJJmSk5ToYz9RIZka4DwggvZXoIMb1x4y56H95p5mhh9w1PZLo0or+w2Dw5s27wa"
    "s3b98fH717d/z+1WZpz94qWuNPx5/YMp+An7PuE98xoDYjzoLn1y6Y3GnBDs7x+hdtFzpP"
    "9Pmia3ZKrItQN7Jkh7BVmN0ZyS5i3tj0rrCUpyTVkl55SZ859C9L4jyKTPiEUAfnev150B"
    "vE8uuQlIA7LlwJdsn4o6ZRDzGqAHlWUuG9G2/oeojugMTRDEt3heq4ckQ7uLBQC68E5rRV"
    "wfHa2X1Uf4KmtkQe5zTz/FyOpJQcGR3ssZ3J6HDRA9Y93+HoNgWjEhdSg1L7oCBs+54Gv+"
    "oL2xIamIygKtVbfRSWuoPp+wjlnsVl5PgwOpV/pnIwnykHc8GKjhlCn0JMRI4voVNbhEqK"
    "lWYoiIMeENYtjYXriKbgc4U7sEClLYrjUhbFcYFFcZy2KAyysJk/U5R5Tst1z2ZuhHnewM"
    "YepU9dzUSzWRb3jxbRc7bh3B5SIzBjXbRvDAogP7u6PT0fgS/Xow/jm3G4Bm2SBIOb7BK9"
    "gNYh99ej4Xn68EEXahGCHCKaEAvqOCcPOyWawntKZZtaYKJIncPifXp1dZ5Y50/HaSXn9u"
    "J0RL+B75K4Z6nnqe4Z82DGOmQpkqGXFVSZeUXwLnXkaQsOwgUrCldarSYlVpN2VfI47BRv"
    "Z1GHMqU8orETPsA2I6hSOJP2sdRnpsiycHXqaA8pYtj7e53tsf2qa4C2tuMQZEyNzax/Kk"
    "G2i5l6cuqAtSVSJXLU8pEVzA0qn6jWJngFEoPWWbOcjKBNOm1+KtA2a7exFKCg3LLK9ZEq"
    "18eCTzx9pmQ5pkhY5tiT3q/j0W+j6xPwhOASOneYmqtn4w+TK3opXN8JvXoxHF9O6H+s5Y"
    "KBTv9b6xHPH/qpbOR86LtrIytTrmbbWObDFNrBNCjDWFiH6+9lGEt3QoWMNrGkB1QEJbo4"
    "ynhUuitfF2f1rxpQxZXmLZPm/bxnJOzG+HCB9bUfP6Gi854pOk8ZKvlzvruGSkuceS2xWA"
    "p0bDndJFKq2XX6SbYaWnUHQFmzpiVwp2KyWfmffUvzUZ33AkZ1hFq2uNfjH6lgX4SI5VgZ"
    "WzyLbQ0tNoJlzhwPm8+R3QfsKHAMEH5CXjDC7PhvgiFYzpEFwf39fwjCwb5+fw+QG/wG3i"
    "HjdXTJ9T5E9ZaV80E+E8ghPO9fOd9DJNtZ18MdHp5djC9PgG4uEJbDERF8k5X0+6Sk0u/b"
    "pN9v1lvRQU8IqrN5ZD6bJ/o+hW24jKCy4SQ5oUS2FVI58eRAs4BgOOzhJJJO0MrHkygPXm"
    "MePP5WpViwHbhmNmdhFqxJAiMZFMvhMDJRs/k0RuwYOos8NO88jYU1xlwXf7Lq5rEqWPFb"
    "imt4Xq4B0l/relzVId/pmpSSmWuo6HxtoNRw66qdVyB2rn45AeTxDo+urxmZAx2HVIoVrf"
    "k0z+A9KJqmUGRBUqp7VQjqr9yHRXOw8X6519KtITUnX1v0p2NjJZp1nRSrmG4tG7YN51sH"
    "ldmEKvZsJVQRtz1L6bkaOwJaZG1OiXVvca5fASG+JzrFYyJqju9Rw3Oum2SZBb6wJsxW6I"
    "DVYDZXWlsORqcDQS1LQT0kJaUKwWSBbVcMoySUc+v8XYZuWcKOhISQKjyistWaBDSkEQUh"
    "TUopX6zKWTt4zlru+RHVcC1/WrqcU3YnuslPNsdDk927ZHJ+yehTTGzWUvm9hr6JvBH2nF"
    "WP4/SK3e0Xebx01k6DtCFqom6HipSVyXuljJJvwSjRDX7KYsGBsxuJptxlz5cXelTGOXaU"
    "7x07yrjHdBZvLahQx2WUyceBk/7CvApCRYhuxBSlvZvSXkO2oJszEQpfSMt1D+sGzv4OMK"
    "Pbpkl1K6SLcho54soSTx8b4lBdc42HwIROickcIyLNhA4xEwt8Sgg1tGw8n2pR/wod4iW8"
    "GablOrhCN3EGyDOyzXLN6zrJe7LEwi6RrKSCNqlOmCa9KXS4a0yke8tB/Uvvs0X2fmM4m9"
    "DTEWdzyw+r2UrIcdpb6w/ey/iynofADvwy//KJp/c4BHbsbr+IwF5vHX+xhiUrT2zzQQCd"
    "C54L4BN0VmDN9AMyC6pEBN2Chb4Crg2xCSJS+0egB78DTIlPLyOX9hH8FZrZghSNPkmx7V"
    "Ls0flsu02VmQXCvsexTXNDq5JCKrIqG1nFEDJ1TtZeIaahhAI0C6hvmxW9QklJVY5DYjdR"
    "ptxWNHbCpRoygoqUlIZVqLDTSglnQbTVdvpl8VV528l8+PSXWkP8ys6wt+i0naaD3mSY2T"
    "WEvNVnTrG5fI4WKNy5UuZU7G6/yJwKaihY24a76/jhdWkxxBp6xPkvFxBq5TjIhJGFw/qk"
    "l9nognXXG9sm+CezbagJA8Jh4hT2a+YZyoKSYKnvF1lQ23IMgf2sVTOpintRJgHPJLCIbq"
    "6RmhOfEyWaizZPVEGsrC5ldXFVMmV1da6imwyaqbK5Omlz8cvACZpcVYvAyTCvaz7Fab/K"
    "6Y4+myHjmvjBI7K10+P3+4XV09ctNYc1LWl30fEGYc4PtXts3aEmDmYVz4PzmOmlsFNgEw"
    "sZqx83t8AS0Vnhe4Clb4M5vYCpAZU1upp4QPHJrnp0CHSU+6UKrUtljm3Gp3QISiTQwQjL"
    "BiJQul7H/ubL+XhyAlzbQt4dvvk8PLv6jf5zU7njmcueLakeM+dYY7mm7lbgcOW4XjU1ue"
    "v20hIX8dOQ8nmamIgCtN0FRRRfsJsvUIeiKS9tdyKUn7nQSGcwbVehERkpgJbUGWkpugV1"
    "Rrj4qtMmD3jaZJPh2mcOmnlfHDJDFpfuStzvF9FdJmup2eumJemu3+a6B/QYIbUuaQp0bI"
    "Ktg9cFFiGP0AQWemQn/UHMnP4rsIQOBA6z1rI8V609q5ACCbbQfgGH5RLfMSrTLFtpqYmW"
    "2y/nV8OzE7D2xd/h86tPJ3T+PkhAsghWGlX1znv5lMCMbhe+A4VqFMdlDp9O9TwadyNVir"
    "dbgwj8SSlVJbo6/ooPy19nusuHBaojHTsXYd4uXjzwGWF1mKg8oVIc7nMOjcdqX3hCUo2y"
    "1KOsGG7FcLcCT9kYbhnisRTBLT3BrQjYZyVgS3gaqqTM7eFnkGHdqMXNUDO3PZnThWpO1u"
    "359HasSX83w+0lW5fguCEG+rogyJaHNoiPPaC7IDRffoyabOIsdRZpyTLgEiluLo/qrv8B"
    "ivGWYE/tFzDetos4C3/+cYhhe3UOYplzEB9dzdaedMvnkBEFGCfFFNRloDbmSHP/8nUHVo"
    "KcL66gLwP9AgkfVRsXUc4blf8pBHU7+WuV/6nYLnksrHqZGZUBKkkGqKq6I1fVnd/gdE7I"
    "49Dz4ML2ehziINWiX8QbLNdt6dYeNBZIBfWcFdA94EJsUgipxU77Rqza6Elosq//xaKAqO"
    "VvIQw5/MA+HXFTO6PWvWBaLab0usrplIodCEelvGK/FVBqPUetpyuvU02tT0p2UK1vrxqf"
    "9VrTwfJ8l46eKVKJKiWlyiJlvx+L/nJsrLQFh2woYHeSYorVKcPqQMchnJU/P51/I9C9cw"
    "7evHpVIs6ZtsqNdA7upfYC3zAgNCFHkTklxII6zlkm4nIprKdUsFtT+fTq6jyx7J+OJymQ"
    "by9OR9cvXn+XnNLZxQPDr16kO1fYgTniKnZM5l04Mi8EaZ+UWLNxTrIMbnXuJ27E7cn8hL"
    "bwWazHdiK8k4NIzbESNMTBEvnSg5DPWcTHaTdpEf7ksueIs6q+xPem5CuLLjgBSwfRpRez"
    "IlOMaKDC2F0fTMxq/LJLxlzHD7Sj8EHQBNMV0MGSOI/Q4VYNrrt/LskBsWmTUHmnm7ZvQ+"
    "0RrjJExx+h+h9wIamd5k/FgjwrCwKfIBY/RjQpJXNGYFWteFBGKR7k68SDzImL0HXpqiR4"
    "ylpSqoNA119MbEpMzoY9oesOH+KofSfALdJxR79PEuptJhdto+KeX11+ipqnE9QypF+4sG"
    "dndImk4o304cDv2Wt+X3CZ7n0ZXZ6NLz+dgFD+Dt/cfvgwGp2Nzk7Axm69wx+H43N2aaYj"
    "a23HPv8JxnGnSknCLi6iSpIpc/vbNrctqLtQ87HHO7+zeKxTomqc5R9njzxCTrJCvvGREl"
    "MBSmnPhutp1fxGPFHlPOI5jyhOlT1IGdmKbiTJQG7YixTgJuxKSkopf1Ipf1KMXBKAOinV"
    "PagHpaAeFEA9yELtwA2BS2Yim2BGUG2Dba7bIkngbutUSIMsbObuqDTOKVllLMg80pH3Q9"
    "AHmxJTPthiH2zcx1SPD3YU67GdCO/0wabmmKgPNsMcamEJxVQoTyj88ZdrSO0Hfmm33Fjw"
    "jkD/zwEc1psZm++wjk/q3Q7raH6U81fnY6RS4CVYPPsF7t1nzA3brXlIomIKqPAe1BeCaM"
    "ZEFJjJjNDnOreyi2BKUUxO0j1733nqcJw++axT2LwT4QRpvumoTE1s1qyAcTrKVMaOv5wA"
    "0CmxA4YQNKUDJOE+LkXvHRfQe8dZem8buSVUPDsldvj62TFlbOojy0PYfcme9xz6WCNVnV"
    "1IV2KOlZs//7cSHVxrXg/KLDW0VX4YzCCz0NgOfELEdzVxsDmi3XMoHAL0alEUuZ0oilRu"
    "ipRhLJoFFpM6YA5YpPO3NgfMRG6Am0Y1eldQlcqKdm91a8YzHSEn7u1JiaqVTOaVjIXz+g"
    "7U6O+D+mN2qHMjmLKCKpxWnfBbHup2VoQrc6KJqgPYtVHnrKQbF1kmyXOX6zGZVLm357GD"
    "mbeNuh6HFHpj3uN4HMM7/SJHo75tI413MXeL5vLenG05XNT28ypKH1Sc70zMLeOfb1jERD"
    "pIUg2Oj8vw4cfH+XQ4u5dK1qIflQDCYfMOovu6lL32usBee5211+gTPciLJsrnvmMi6txI"
    "QYZbYOevfzP75/8Ba5+6Hg=="
)
