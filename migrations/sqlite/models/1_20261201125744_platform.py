from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "audit_entries" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMP NOT NULL,
    "action" VARCHAR(48) NOT NULL,
    "actor_id" CHAR(36),
    "actor_label" VARCHAR(64),
    "actor_method" VARCHAR(16),
    "actor_credential_id" CHAR(36),
    "target_type" VARCHAR(16) NOT NULL,
    "target_id" VARCHAR(64),
    "target_label" VARCHAR(128),
    "model_id" CHAR(36),
    "model_owner_id" CHAR(36),
    "address" VARCHAR(64),
    "request_id" VARCHAR(64),
    "detail" JSON NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_audit_entri_created_a88510" ON "audit_entries" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_action_7b2c7c" ON "audit_entries" ("action");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_actor_i_0d7271" ON "audit_entries" ("actor_id");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_target__81181b" ON "audit_entries" ("target_id");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_model_i_c75217" ON "audit_entries" ("model_id");
CREATE INDEX IF NOT EXISTS "idx_audit_entri_model_o_66c6c0" ON "audit_entries" ("model_owner_id");
        CREATE TABLE IF NOT EXISTS "api_keys" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "public_id" VARCHAR(32) NOT NULL UNIQUE,
    "name" VARCHAR(64) NOT NULL,
    "secret_hash" VARCHAR(64) NOT NULL,
    "scopes" JSON NOT NULL,
    "model_ids" JSON,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP,
    "revoked_at" TIMESTAMP,
    "last_used_at" TIMESTAMP,
    "last_used_ip" VARCHAR(64),
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* A long-lived credential for programs: ``msk_<public_id>_<secret>``, shown once. */;
CREATE INDEX IF NOT EXISTS "idx_api_keys_user_id_6285a8" ON "api_keys" ("user_id");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "audit_entries";
        DROP TABLE IF EXISTS "api_keys";"""


MODELS_STATE = (
    "eJztXW1z2zYS/isYfUpnlIyj2E7i63RGjpVGF79k/JL2WndoiIQknCmAJSkrai///QCSkv"
    "gugiJlkMWHNgmABalnwcXuYnfxd2dGDWQ6r/oW/oyWnRPwd4fAGWJ/ifV0QQda1qadN7hw"
    "ZHpDoYW1R7T0GuHIcW2ou6x9DE0HsSYDObqNLRdTwkf3gUnJ5KWJn5ABdBsZiLgYmmBMbW"
    "DZdGLDmXMCHh5mzqP2ozUfmVjXsPGT9qOD2Gj3p4eHLnCmdEEAJTp6xR9qUJ09FZNJDfPf"
    "k3tyRcwlgAR8uuh/eHnzqd87OgZ0DNwpAj4ReMF+P3vciA1jTfYTsl9OkWkAC1kWsn8A2A"
    "GOS9nLnLABBmTQQQfdE2M+s8CUmoYDCAVzhyMK2FRd9jSDjdSnSH8EOnVch70N8l4A2JA9"
    "2GZPZ28EgQUdZ0FtA0yhM/XQmBP85xxpLp0gPpBh8vsfrBkTA31Dzuqf1qM2xuwVI0zHBp"
    "/Aa9fcpeW13d0Nzz56IznSI02n5nxGNqOtpTulZD18PsfGK07D+yaIIPa6yAgtBzI3zWDl"
    "rJr8N2YNrj1H61c1Ng0GGsO5yRdV58fxnOh8LQHvSfx/hz8FrxYapmmXV7fazeBW0zqJNc"
    "hfIbZsgiadEr5+MXE5UH9/9+fdAOK1dvgDPnzqX794c/yDBwFj0MT2Oj24Ot89QsZmn9QD"
    "fYPyetElwf4whXY62BGiGObsletBewVUDdB2ZvCbZiIycafsn296OVB/7V/7aPc8tCmTL7"
    "7guQx6el4XB30DsvenAL6r8dVAu2rYYLuRhnsH9/iwALjHh5ng8q4ouL7U07jIEcE4Rqag"
    "LgK1TvkcCZT/fXN1mYHymiIGsIF1F/wPmNhx6wI6JJ5Hc2y6mDiv+POeQ0JzhPjMM8f50w"
    "zD/OKi/2ucAx/Or07jopxPcBpjh6f+MCksxJEI0U5MCSS0LIt/3+gz8cGx0aCbhP+M9bh4"
    "htJZEKWM8yAgfbX6SxPlEPuBBldUg1WSw5rb4cXg5rZ/8SXCn7P+7YD39LzWZaz1xXGMZ+"
    "tJwC/D20+A/xP8dnU5iLNxPe72tw5/Jzh3qUboQoNGSOVYta5Qi3AdfbMwm60E16OUFXC9"
    "Od+fTExeYZLLZRs90cdS33aUUnFZZi6b0HG1uVOKz3FaxelmcBpbIkZCnK6UlSAZX+s2Eh"
    "hcdqo/Idt5EyKp0oOTBHqfToXy/hruEhs/prprOFJJZD9SG+EJ+YyWHr5D9h6Q6GkuhMCT"
    "ehdM00hEN62b59twsXYhhpcT++nsByPX/877Nx/6Z4OOB/AI6o8LaBtaBGneQ3s01rIem+"
    "ya9WbxFkjgxMOG/wr+zgHo12jM+Dy9ZfoB6aS4tyP93Twnt+2P1Fw+tKCr+4ogENABjw68"
    "GC0Bdh3w8PBfFz88/PAvwCWd52nucn8yYeMtE+q+L5mPdOa6jhyH2klPd/XTK9exBKKom+"
    "M6xo4zL6U7RQiV+SuLJtUw81c2rjeEy4X05ZJGkbKHGsJfh22z7OcLqulRKqWp52rqAVgV"
    "KOs3m5kaietWfT26rmRS2VfQp2jrIa5kK+rBLxNQ0U06weTEC+cYwxk2lzy2wgXoCdlLYF"
    "OXMz+maHvRH2yMRwpGiIecOKwvXUmv+gFKTZdADuWp6eqcSinqsivqkuz2MjFZnVMpLse4"
    "zKSVk6ZRZp9fJCnbd4JRfbie5z9mCiFJ+aqysY5StQ/n3tFxAaDZqEykvb4o1GLHceoQTh"
    "3CSWDaq0O4eg/hwjtf/KArivlpQP/x8zUyoYtT97iM47WG2SpZuH+v0//hLdEU58dq6WZ7"
    "Pjj7i7k9shFQrgUJ5GA3x7WAZhCbIhv4mqCFSSMHhdTQgxw99CBtFxfNHQnTtA/l90VAfp"
    "+N8fs4xKuUNeH8kQRhCzNIekdHhVT+oxyV/yiOuE3NjAU9IPNZQneK2rMB7f6wXit7Amh3"
    "7m4G1yc83MW+J/2zi+HlCYDGDJO4Q74ID14XsbpeZxtdr5M2l6Ox/Rg/pXDhlDKAIckK2w"
    "jRxTgwYoR1sWAlbva7LZ5eXZ1HHESnw9sYxncXpwOGvQc9G4R9BXd4easyRZQHvjO3jJJc"
    "j1IqrsvC9RRnbfD2KfqEPoVkUor9GVMoH708bM/IMPAOyMsmk4SJFa9l43XCHVjEfRUuRl"
    "LecbUpe9IwMZ/pskoJRdsRo0pjpOQDaeNgKw/RBf+jrQCtFOUnZFewmjyovvpTNVbUbvns"
    "mL2dVspB6KPjc7RpRdXpSu+bGPp7XryqldfRzS1qxYegGtzpv/tP4xN7b/WH8q/L5F9XdY"
    "PqPCJX9vk/0D5flb8REV9hmnpDI2QxybbKrORnNFqKxpvECXeAVk4NbEdkA11WENYolYrk"
    "yY3kWWs/O4bytM226saCecISMD2aJ2XhVoVrcUNMziW7Fd3oJ7sd343krADiglFockrY7V"
    "Fo8U0mgi57C3B5d37+XOllnuk3eELe66cbhn5vd6t1qCE+UCDRbEafEM/s4oV7+QQnYDGl"
    "wKIMS2QA7IKxTWesDetTECxQ4FK/ocv+QMSrC7yYLtPzzCqeX8WCSbCTdnNsVbhyYxQ1Vt"
    "cEylotYK2Wyf3YKeejXLRMXWs2Cu/RQZFgOzYqE2Cvr8lRGnuNwWumO6BIkAbbJqlookSY"
    "Rtms0Y+Ib+paOcM1hVShm17wWU7nVTO8AWE8mWAot1YThGqlNs3PIqMjQMzNEhaY+/e1yL"
    "lst0KcsstkuATSBYUCuiDQCRFZAGZPs1I+rS3IhvVPqdxZQwPNLOoioi8zbvCKjejmubXw"
    "ZqzQjV66iRFxX+pT6iDCL7DybtuCwEYMfq+2EeO243aBdzeJwZ1OvBiSDk0T2f5dVwSwHt"
    "uLfkm706uGJ6TGZqxST7xp+F/Yo1SIhlxurzVvirpl1gQtdHtVX4rjEaWccWSDGwxvIbSv"
    "e++K5IH13mUngvG+mLXOno9sy8ZilU5iZC1Euw7/rcPeV9DMjBCpyBPlsFUOW5kL2zTkG2"
    "pSZRspDTBJ75fwnWMpVtfaa5ZtbG2aqg4wpwviLwYVYC6f9aICzGtU+cKvlcD4Fn1z0zGO"
    "kbXg8D5P/Rj8ehvRPBI3c661j/Ory59Xw+PXdcaOdeBE6ErU1Xh1RW0+K1p/SarS0VXlC8"
    "X1kpk1vh5chutRSlX7QB4mJ79ta26XrGoSJlQ8lpnHJp1oFjWxnuF7316nLTrDHlXYMZtA"
    "UHfqfLw7P2eTMcp78ql/8+kE8JJ+9+SSwcvYTYn/+wTtiSLu+mxnfcJVb9mI66P8OF2H+p"
    "RZ2a6ppWi5Q5JhVmRPEGNP4NVv1ufHXpf98bL3+vDt4bs3x4fv2BDvPdctb3P4kSzZ5nkt"
    "BP2MYRrlaMx3NK69QsrTmOdpDC+p8lW0Q+UjonALVSFapWu0BOpo4FEshWpHmNZJW23E6l"
    "lK7DQSKVVjZwtAG51kR5S+rCc6p5M2oVX7edHqE8w6Ngp9oltOjyK1t+orUzSfjVgj+2Gh"
    "Rvah9Y6O1eGSZIdLPqsSSGeaKBuCUiaJbB911TYJ04XdeUaK7XaTfEO9R3PcQsTgEIkh3P"
    "kyuDwbXv58AgL6e3I96J/95wRw7+nynnzsD88HZ/yJ2ETGPeFW8/Arb4G2PsVPyChjsVdf"
    "aR3aLh4zKagJhjHG6Vp43FpLPGOwDwggvaFoIcbVH2k7+K+0WwPwJFOmryjaJNHf93pv3r"
    "ztHbw5fnd0+Pbt0buDtWhPduXJ+NPhz1zMR+BPkft0butIG1N7luZ2z1ncccIWrvHqhbaD"
    "7Cf2fFGZHSNrI9S1iOwAthKrO0HZRsxrW94lRHmMUon00iJ9bLO/LKj9KLLgI0QtXOvVZw"
    "+tEcvO3i0Ad5i4fXfPVo96gFEJyJOUCu/teCPHxWwHpLamm9ARqsGVQtpCwVLLzdUOfEKG"
    "tsBuyq2B2aGmUSo5Ak75Y1sTcOrgCYHu3E7RbXK4EiZSTKmcKZhYc1dD3+DMSrv7MZsxCc"
    "KdmCPZvrBvLiygTdj7CIXGh2nk+DBaFR6vUkSeKUVkxkt16EKfQohEji+hVVuEytmRhhXU"
    "xhNMoMmeyFRowQzBVOIWCKg9XIyt05nFzzNFPc9xuvbZzLV4ntew8UfBkaMZeDxO4v7RpD"
    "BjG86cIcaBMZ+ieTzIgfzs6u70fAC+XA8+DG+GgQxa5zB4nbxpcyn29aB/Hr84xkHaCsEU"
    "R3TeTeRxUnUZefHLyEfQ1afeirXpQiSBIEmoEgfy4F1A7GqzFIRzJEoqtZImBaRJsxKN97"
    "vEm5lzWiTTeMU74cvHEoS1FnBuXmVsuSuNyyK4WlUQW4qA9+5OFbE3X3UF0FZWRFjGSuMJ"
    "+SdcSFillzUgz0VOHXC/aS5+BlVKfss6tSo7sWWTwVVbQotXck9lrkiVuWKip7TduWDtgx"
    "WxzJEUna/DwS+D6xPwhNEC2feEGV9nww+3V6wpkFaUtV70mYXL/uMjZxx09p+/Kz5/IKOy"
    "+LKhb6/FpwyTqu/vlrigbjPsZmXmCSt83Z3MPOmqFMto4UlapDhqwaRo5QkTJ1s7D5U0Mu"
    "mkBjU9ppWHtPaQCuGloodClsNdSo9/Vj0+uIgndXvLuzg3TCWzFl/yOL2GvNDGpaaXMJmu"
    "Pp8A+nhPBtfX3ExCtk1LmUIVV4bz3oOhaQjF6USp2hcyUn2aBRE9MCe7HZRLJ0MqPik3oX"
    "+3m+AReZSs5Nm4bNjWfDjuhdELhVduKFTE/Y55D47Gy4mKyOYYWfuEc/UKCJ27oks8RKLW"
    "uKrwr0pC5wbaeHeXigbZhIlUgI3yY9cJaPSy6aKQRqlqXaMNwVR5s7eBWrE3W10sL4au8K"
    "3y/ja0vwMDKber7RFh4c1aqmvl+3MDuwPi2qlXyod6u3mHBZCP0xDhV7TXf1SgHP/P6vhX"
    "Rsk/wSiBenrifE5h1TVFXScNe71CLuJUOSxyrnCYfbBwmDhZgDwITFChDtMoky8FTvYLs2"
    "IL8xBdkylv4HZvoA/ZjG3OVOjkN07XPqxrqHHtYca2TYPpVhiK+jQyyJUlHi+PYTNd08dD"
    "YEHHyGQ+XpdmQQeYicWMRIhqEhvPp1pUL6EDvIQ3wzhdCyV0HbUuntHbLNe6rtJ5X+aOwC"
    "SlgjaqThgG6xQqYhoiaZ84qF70PltQ5D8MZwO5EKdsbtkRCRsKOaqaNb7AXOIs65kc2MjG"
    "+rST5rz2e7q5juvNGGk81pkxj6niISXeMZAFu3mqpQ92zHZQlyiOvmtVdLntuFoq6vGPSk"
    "SR8Ie3EN3XBwdFjIqDg2yjgvfFC+gRN7jntugOFyLZ/xbX8KC7Z93Mvv8f03r52Q=="
)
