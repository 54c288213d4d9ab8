from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "audit_entries" (
    "id" UUID NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL,
    "action" VARCHAR(48) NOT NULL,
    "actor_id" UUID,
    "actor_label" VARCHAR(64),
    "actor_method" VARCHAR(16),
    "actor_credential_id" UUID,
    "target_type" VARCHAR(16) NOT NULL,
    "target_id" VARCHAR(64),
    "target_label" VARCHAR(128),
    "model_id" UUID,
    "model_owner_id" UUID,
    "address" VARCHAR(64),
    "request_id" VARCHAR(64),
    "detail" JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_audit_entri_created_a88510" ON "audit_entries" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_action_7b2c7c" ON "audit_entries" ("action");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_actor_i_0d7271" ON "audit_entries" ("actor_id");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_target__81181b" ON "audit_entries" ("target_id");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_model_i_c75217" ON "audit_entries" ("model_id");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_model_o_66c6c0" ON "audit_entries" ("model_owner_id");
        CREATE TABLE IF NOT EXISTS "api_keys" (
    "id" UUID NOT NULL PRIMARY KEY,
    "public_id" VARCHAR(32) NOT NULL UNIQUE,
    "name" VARCHAR(64) NOT NULL,
    "secret_hash" VARCHAR(64) NOT NULL,
    "scopes" JSONB NOT NULL,
    "model_ids" JSONB,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ,
    "revoked_at" TIMESTAMPTZ,
    "last_used_at" TIMESTAMPTZ,
    "last_used_ip" VARCHAR(64),
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_api_keys_user_id_6285a8" ON "api_keys" ("user_id");
COMMENT ON TABLE "api_keys" IS 'A long-lived credential for programs: ``msk_<public_id>_<secret>``, shown once.';
        CREATE TABLE IF NOT EXISTS "model_quotas" (
    "id" UUID NOT NULL PRIMARY KEY,
    "per_minute" INT,
    "per_day" INT,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "updated_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" UUID NOT NULL UNIQUE REFERENCES "models" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "model_quotas" IS 'Prediction units every caller of one model may spend together; a null bound is unbounded.';
        CREATE TABLE IF NOT EXISTS "user_limits" (
    "id" UUID NOT NULL PRIMARY KEY,
    "prediction_units_per_minute" INT,
    "uploads_per_hour" INT,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "updated_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "user_id" UUID NOT NULL UNIQUE REFERENCES "users" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "user_limits" IS 'An administrator''s override of one user''s rate limits; a null limit is the default.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "api_keys";
        DROP TABLE IF EXISTS "audit_entries";
        DROP TABLE IF EXISTS "model_quotas";
        DROP TABLE IF EXISTS "user_limits";"""


MODELS_STATE = (
    "eJztXetz2zYS/1cw+nLpjJJxFNtJ3E5n5FhpdPEj50fba92hYRKScKYAlg87ul7+9wMgSu"
    "IDpEiKlCEWHxLbIBYkfwsudhe7i786U2oh23vVd/BnNOscgb86BE4R+yVxpQs60HFW7bzB"
    "h/e26AodbDygmWiE957vQtNn7SNoe4g1WcgzXez4mBLeuw9sSsYvbfyILGC6yELEx9AGI+"
    "oCx6VjF069I3B3N/UejB+c4N7GpoGtH40fPMR6+z/e3XWBN6FPBFBiolf8phY12V0xGTcw"
    "/i25JRfEngFIwKez/oeXV5/6vYNDQEfAnyAwJwIv2Puz292zbqzJfUTuywmyLeAgx0Hudw"
    "B7wPMpe5gj1sGCDDrooVtiBVMHTKhteYBQEHgcUcCG6rK7WaynOUHmAzCp53vsaZB4AOBC"
    "dmOX3Z09EQQO9Lwn6lpgAr2JQCMg+M8AGT4dI96RYfL7H6wZEwt9Rd7iT+fBGGH2iDGmY4"
    "sPINoNf+aItpub4clH0ZMjfW+Y1A6mZNXbmfkTSpbdgwBbrzgNvzZGBLHHRVZkOpDAtsOZ"
    "s2iaPzFr8N0ALR/VWjVYaAQDm0+qzg+jgJh8LgFxJ/7f/o/ho0W6Gcb5xbVxNbg2jE5qDv"
    "JHSEybsMmkhM9fTHwO1F/f5uOuABGtHX6DD5/6ly/eHH4nIGAMGrviooCr800QMjbPSQXo"
    "K5SXky4N9ocJdOVgx4gSmLNHbgbtBVANQNuZwq+GjcjYn7A/3/RyoP65fzlHuyfQpky+zA"
    "XPeXilJy5x0Fcgi58l8F30rwfaRcMK25U03Dq4h/sFwD3czwSXX4qDO5d6Bhc5ZTBOkGmo"
    "i0BtUj5GCuV/Xl2cZ6C8pEgAbGHTB/8DNvb8poCOiOf7ANs+Jt4rfr/nkNAcIT7y1PP+tK"
    "Mwvzjr/5rkwIfTi+OkKOcDHCfYIdQfJoVLcSRGtBFTQgmtyuTfNvpMfHBsDOin4T9hV3w8"
    "RXIWxCmTPAhJXy1+2UU5xF7Q4opqOEtyWHM9PBtcXffPvsT4c9K/HvArPdE6S7S+OEzwbD"
    "kI+GV4/QnwP8FvF+eDJBuX/a5/6/BngoFPDUKfDGhFVI5F6wK1GNfRVwez0SpwPU5ZA9d3"
    "5/tTickLTHK57KJH+lDp245Tai6rzGUber4ReJX4nKTVnN4NTmOnjJGQpKtkJSjG16aNBA"
    "aXK/UnZDtvIiR1enDSQG/TqVDdX8NdYqMHqbuGI5VG9iN1ER6Tz2gm8B2y54DElLkQQk/q"
    "TTjMTiK6al3d34VPSxdidDqxV2cvjPz5d96/+tA/GXQEwPfQfHiCrmXEkOZXaI8mWpZ905"
    "emvWmyBRI4Ftjwt+DPHIJ+iUaMz5Nrph+QjsS9HbvezXNyu/Oehs+7FnR1XxAEQjog6MCL"
    "+xnAvgfu7v7j47u7774HXNIJT3OX+5MJ6+/Y0Jz7knlPLzBN5HnUTXu66x9eu44VEEXdHN"
    "cx9rygku4UI9Tmryqa1I6Zv6pxfUe4XEhfrmgUaXtoR/jrsWWWvX5JNT1OpTX1XE09BKsG"
    "Zf1qNdJO4rpWX4/PK5VU9gX0Em09wpVsRT18sxIquk3HmByJcI4RnGJ7xmMrfIAekTsDLv"
    "U58xOKtoj+YH0EKbhHPOTEY9fkSnrdN9BqugJyKE9N1/tUWlFXXVFXZLVXicl6n0pzOcFl"
    "Jq08mUaZvX+RpmzfDkb94XrCf8wUQiL5qrKxjlO1D+fewWEBoFmvTKTFtTjU5bbj9Cac3o"
    "RTwLTXm3DNbsJFV77kRlcc8+OQ/uPnS2RDH0vXuIzttR2zVbJw/9ak/0NMUYnzYzF1sz0f"
    "nP3F3B7ZCGjXggJysJvjWkBTiO0yC/iSoIVJI3uF1NC9HD10T7aKl80didK0D+X3RUB+n4"
    "3x+yTEi5S10vkjKcIWZpD0Dg4KqfwHOSr/QRJxl9oZE3pAgmlKd4rbsyHt9rBeKnsl0O7c"
    "XA0uj3i4i3tL+idnw/MjAK0pJkmHfBEevC5idb3ONrpep20uz2DrMX6UcOGYMoAhyQrbiN"
    "AlOHDPCJtiwULcbHdZPL64OI05iI6H1wmMb86OBwx7AT3rhOcK7vD8WmeKaA98J3CsilyP"
    "U2quq8J1ibM2fHqJPmFOIBlXYn/GENpHrw7bMzIMxAZ51WSSKLHmtWq8TrkDi7ivosVIqj"
    "uuVmVPdkzMZ7qsJKFoG2JUa4yUeiCtHGzVITrjP9oK0EJRfkRuDbNJQPXzfKidFbVrPjtm"
    "b8tKOZT66PgYbZpRpVzpkbUfT7Gfg+UFQdeU/bceUe5XP12O1pJpV3LPoW9jOFcOkuW/xI"
    "VubvUv3gU1sO/w+/xufGDxVH/ojQiVNiJ0gaUmYwm0I+Nv6MhY1AkqI76iNM3GkKhiu66V"
    "WenP6H5WNjAnSbgBtGrqDBsiGyr9JWGNU+mQp9yQp6X2s2HMU9uM0G4i6ikqAeVhT5KJWx"
    "euxS1WNafsWnTjn+x6fFeSswaIC4brqSlh14frJReZGLrsKcD5zenpc+XhCdNv8IjE48sN"
    "w/nV7lrr0EC8Y4mMvCl9RDwFjlc45gMcgacJBQ5lWCILYB+MXDplbdicgHCCAp/OG7rsBy"
    "KigPLTZCZPyKt5fB00p8BK2s2xVeHCjVHUWF0SaGu1gLVaJUlmo+SYamFFTc3ZOLwHe0Wi"
    "ElmvTIDFtV0OZ9lqsOJuugOKRLOwZZKWzSiJ0mibNf4R8UXdqGa4Skg1uvLK2Go6r3bDGx"
    "DFkwmGanM1Rahn6q75WVR0BJRzs0QF5vZ9LWpO27UQS1aZDJeAXFBooAsCnRKRBWAWmpX2"
    "aa1BNqp/KuXOGlpo6lAfEXOWcdRZokc3z62FV31LHX1m2hgR/6U5oR4i/KQvcSwZBC5i8I"
    "siUIzbnt8F4hAXizudeNUoE9o2cueHghHArrgiqEV2+FkDd5DGZixydMQw/Bd2Kx2ioZbb"
    "a8mbom6ZJUEL3V711yx5QJI9jmxww+4thPZ1712RhLneu+yMOX4tYa2z+yPXcXG5kjAJsh"
    "ai3YT/1mPPW9LMjBHpyBPtsNUOW5UrAO3IN7RLJYCUNMAUPYhj7hyTWF1Lr1m2sbVqqjvA"
    "nD6R+WTQAebqWS86wLxBlS/6WCmMr9FXX45xgqwFm/d56sfg1+uY5pE6wnSpfZxenP+06J"
    "481zSxrQPHpc6OXfTXZ/nms6L1p8lqHV2XCNFcr5hZM9eDq3A9TqmLRKjD5PS37QRuxfIv"
    "UULNY5V5bNOx4VAbmxm+9/UF7eIjbFGFHbEBSupOnY83p6dsMEZ5Sz71rz4dAV778JacM3"
    "gZuymZv19Je6KIuz7bWZ9y1Tsu4voo3043oTlhVrZvGxItd0gyzIrsARLsCb36u/X5scdl"
    "P172Xu+/3X/35nD/HesinnPZ8jaHH+nadsJrUdLPGKXRjsZ8R+PSK6Q9jXmexuiUql5uPF"
    "I+Ig53qXJNi3SNlkAdDzxKpFBtCNMyaauNWD1LLaKdREoXI1oD0Eon2RClL8uBTum4TWhV"
    "LN30Z0B9mA1p8cpN4jP912K03dIJ66rcFBNVWdtrEVG2ZpctVsytuXJOwfSeNbIXizQygd"
    "Q7ONSbcIptws1ZlUI605RbEVQy3VQTfnXbbsxm8IOMVOT1rosV9RbdFg4iFoeoHMKdL4Pz"
    "k+H5T0cgpL8ll4P+yb+PAPcyz27Jx/7wdHDC74htZN0S7l0Y/sxboGtO8COyqng26i/dD1"
    "0fj5gUNEqGeybpWrgt3UjcZ7gOlEB6RdFCjOvf+vfwf2XHUOBxpkxfULRJor/v9d68edvb"
    "e3P47mD/7duDd3tL0Z6+lCfjj4c/cTEfg18i92ngmsgYUXcq257ImdxJwhbO8fqFtofcR3"
    "b/sjI7QdZGqBsR2SFsFWZ3irKNmDc2vSuI8gSlFumVRfrIZb88UfehzISPEbVwrtefZbVE"
    "LDvLuQDcUeL2HWZcP+ohRhUgT1NqvNfjjTwfsxWQuoZpQ69UrTIJaQsFSyNHoXvwEVnGE/"
    "Ylx1Bmh+TGqdQIzOW3bU1grofHBPqBK9FtcrgSJdJMqZ0pmDiBb6CvcOrIDhPNZkyKcCPm"
    "KLYubJsLT9Al7HlKpRBEadT4MFqVRqBTaZ4plWbKS5qYpT6FCIkaX0Krlgid26QMK6iLx5"
    "hAm92RqdAlMymlxC0QUFs4ad2kU4fvZ5b1PCfp2mczN+J5XsLGbwXvPcPCo1Ea9482hRnL"
    "cOYICQ6M+BC7x4McyE8ubo5PB+DL5eDD8GoYyqBlroe4yJtWp6xfDvqnyQN2PGQsEJQ4ov"
    "OOtk+S6tPti59ufw99cyJmrEufyiRapAl1gkUevE8Q+8ZUgnCORJFSa2lSQJrsVkL2dqf4"
    "bubmFsnIXvCu9CFtKcJGC13vXgVxtSuyqyK4WlU4XIkY9u5GlcNXX3UN0NZWbFnFiuwp+V"
    "e64LJOw9uBfCA1dcAN04FKprnMM80k+S3LFLTsxJZVpltjCS2iNKHOXFEqc8VGj7LVuWCN"
    "iAWxypEUnZ+Hg18Gl0fgEaMn5N4SZnydDD9cX7CmUFpR1nrWZxYu+8d7Tjno7N98VXz+QE"
    "Zt8WVD316LTxsmdZ9zrnDh4d2wm7WZV1rh625k5ilXzVlFC0/RYs5xC0ailadMnGztPFL6"
    "yabjBtT0hFYe0dojKoRIRY+ELEcvaT3+WfX48MAi6fKWd8BwlEplLb7idnoDeaE7l5pewW"
    "S6+HwE6MMtGVxecjMJuS6tZArVXEFPPAdD0yoVpxOnal/ISP1pFqTshjnZbKNcORlS8065"
    "Dedn4JXcIo+TVdwbVw3bhjfHRRh9qfDKFYWOuN8w78EzeNnVMrI5QdY+4Vy/AkIDv+wUj5"
    "DoOa5PQtCls3MDbcQZr2WDbKJEOsBG+7GbBDR+KHdRSONUjc7RHcFUe7PXgVqzNzuzTkI1"
    "XIvXHlZzyq5FN/7JZsQtpdeu7W0YKLlcrY8Iiy7WpaPBmtwy6AcW9gfEd2cdyX5B5Go3b7"
    "MA8n4GIvwo++a3CrTj/1kd/9oo+TsYJdCUJ87nFFZdUjS107DVo/ZiTpX9IvsK+9kbC/up"
    "nQXIg8BKKtRRGm3ySeBkb5gVW5iH6JJMewPXewPnkE3Z4kxL7fwm6dqHdQM1rgVmbNm0mG"
    "6FYVmfRga5tsST5TFcpmvO8SgxoRNkKm+vKzOhQ8zKxYzEiBoSG8+nWtQvoUO8Si+GSboW"
    "Sugmal08o7dZrXldp/O+ylmKaUoNbVydsCx2sVQR0whJ+8RB/aL32YIi/2Y4W8iHWLK4ZU"
    "ckrCjUqGq28wXmUntZz+PAjhw2J3Fgx4+iW3fImjgBr5j/urMKpQdsLvgeQI/InYG5px/Q"
    "EaAEATEsmMIZ8PhpS2Dh1P4eQPEe4J4GrBl7bAzxK7JedRIcbvZO2tuuxBqd7W13mDIzxS"
    "TwJbZp9rndMSJdSiodIMsRsqCklEUupiGFBjQNaOBYFXeF4pQ6Y1jhbaJU8Y0F70rXiEoR"
    "aqekMl6FCiutknDmRFutpl8a3+cLXVEyJCj1pdYQv7I27G1x2HTTQW8qzOwaQt7qM6f4XD"
    "7FUxyuXAlzKnK1m2dOifxoe9VxrTXVJwBaTGPFvKNP3X94gDIrx8UWWlg4fEzWzLkL5kMv"
    "bRvxJ7dtmAkDQjal7aiG7qEtKAVEfTfPglplsgv72ahmUuWPok0CmUlgU2jNkZrQoMxp5T"
    "JSDbG2urTVJVXJtNXVuoJNKmim2uZqpc0lL/FU0uSqWuBJhXldc32nzRIwkIvNSUeWfDG/"
    "0s1NvFj1USbjIlOpkwpJiRoXckTZWVSPEpdtsFQ43HfTU32VU96aPxGKf1QlEA67txDd13"
    "t7RYLi9vayg+L4teQBUMRHRGKVZEdoREi2H6LxPMpUO4Ixvv0fZ490Qg=="
)
