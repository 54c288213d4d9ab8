from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "models" DROP CONSTRAINT IF EXISTS "uid_models_owner_i_6678cf";
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
        CREATE TABLE IF NOT EXISTS "teams" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(39) NOT NULL UNIQUE,
    "description" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "created_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL
);
        CREATE TABLE IF NOT EXISTS "team_members" (
    "id" UUID NOT NULL PRIMARY KEY,
    "role" VARCHAR(16) NOT NULL,
    "invited_at" TIMESTAMPTZ NOT NULL,
    "joined_at" TIMESTAMPTZ,
    "invited_by_id" UUID REFERENCES "users" ("id") ON DELETE SET NULL,
    "team_id" UUID NOT NULL REFERENCES "teams" ("id") ON DELETE CASCADE,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_team_member_team_id_a71b13" UNIQUE ("team_id", "user_id")
);
CREATE INDEX IF NOT EXISTS "idx_team_member_user_id_b8600b" ON "team_members" ("user_id");
COMMENT ON COLUMN "team_members"."role" IS 'VIEWER: viewer\nPREDICTOR: predictor\nMAINTAINER: maintainer\nADMIN: admin';
COMMENT ON TABLE "team_members" IS 'A membership, or an invitation to one while ``joined_at`` is null.';
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
COMMENT ON TABLE "user_limits" IS 'An administrator''s override of one user''s rate limits; a null limit is the default.';
        ALTER TABLE "models" ADD "team_id" UUID;
        ALTER TABLE "models" ADD "namespace" VARCHAR(39) NOT NULL DEFAULT '';
        ALTER TABLE "models" ADD CONSTRAINT "fk_models_teams_8e55b599" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE SET NULL;
        UPDATE "models" SET "namespace" = "users"."username" FROM "users" WHERE "users"."id" = "models"."owner_id";
        ALTER TABLE "models" ADD CONSTRAINT "uid_models_namespa_ba2b26" UNIQUE ("namespace", "name");
        CREATE INDEX IF NOT EXISTS "idx_models_team_id_f597f6" ON "models" ("team_id");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_models_team_id_f597f6";
        ALTER TABLE "models" DROP CONSTRAINT IF EXISTS "uid_models_namespa_ba2b26";
        ALTER TABLE "models" DROP CONSTRAINT IF EXISTS "fk_models_teams_8e55b599";
        ALTER TABLE "models" DROP COLUMN "team_id";
        ALTER TABLE "models" DROP COLUMN "namespace";
        DROP TABLE IF EXISTS "team_members";
        DROP TABLE IF EXISTS "model_quotas";
        DROP TABLE IF EXISTS "user_limits";
        DROP TABLE IF EXISTS "api_keys";
        DROP TABLE IF EXISTS "teams";
        DROP TABLE IF EXISTS "audit_entries";
        ALTER TABLE "models" ADD CONSTRAINT "uid_models_owner_i_6678cf" UNIQUE ("owner_id", "name");"""


MODELS_STATE = (
    "eJztXW1z2za2/isYfbnpjJJxFNtJvZ3OyLHS6NYvXVvu7t11h4ZJSMKaAliSsqPb2/9+AY"
    "iU+AJSJEXaIIsPbRISB6SeAx6cd/zRW1AL2d67oYN/RqveCfijR+ACsb8k7vRBDzrO9jq/"
    "4MMHWwyFDjYe0UpchA+e70LTZ9en0PYQu2Qhz3Sx42NK+OghsCmZvbXxE7KA6SILER9DG0"
    "ypCxyXzly48E7A/f3CezR+cJYPNjYNbP1o/OAhNtr/8f6+D7w5fSaAEhO94w+1qMmeisms"
    "gfnvyB25IvYKQAK+Xgw/v735OhwcHQM6Bf4cgTUReMN+P3vcAxvGLrlPyH07R7YFHOQ4yP"
    "0OYA94PmUvc8IGWJBBBz10R6zlwgFzalseIBQsPY4oYFP12dMsNtKcI/MRmNTzPfY2SLwA"
    "cCF7sMuezt4IAgd63jN1LTCH3lygsST49yUyfDpDfCDD5N+/scuYWOgb8sJ/Oo/GFLNXjD"
    "EdW3wCcd3wV464dns7PvsiRnKkHwyT2ssF2Y52Vv6cks3w5RJb7zgNvzdDBLHXRVZkOZCl"
    "bQcrJ7y0fmN2wXeXaPOq1vaChaZwafNF1fthuiQmX0tAPIn/7/DH4NUiwwzj8mpi3Iwmht"
    "FLrUH+CollE1wyKeHrFxOfA/XHn+t5t4CIqz3+gM9fh9dvPhx/JyBgDJq54qaAq/enIGRs"
    "XpMK0LcobxZdGuzPc+jKwY4RJTBnr9wM2iFQDUDbW8Bvho3IzJ+zf34Y5ED96/B6jfZAoE"
    "2ZfFkLnsvgzkDc4qBvQRZ/lsA3HF8PtOGFLbZbafji4B4fFgD3+DATXH4rDu5a6hlc5JTB"
    "OEGmoS4CtUn5HCmU//vm6jID5Q1FAmALmz74P2Bjz28K6Ih4flhi28fEe8ef9xoSmiPEZ1"
    "543u92FOY3F8N/Jjnw+fzqNCnK+QSnCXYI9YdJ4VIciRHtxZRAQquy+F8afSY+ODYG9NPw"
    "n7E7Pl4gOQvilEkeBKTvwr+0UQ6xH2hxRTVYJTmsmYwvRjeT4cUvMf6cDScjfmcgrq4SV9"
    "8cJ3i2mQT8Yzz5Cvg/wb+uLkdJNm7GTf7V4+8Elz41CH02oBVROcKrIWoxrqNvDmazVeB6"
    "nLIGrrfn+1OJySEmuVx20RN9rPRtxyk1l1Xmsg0931h6lficpNWcbgensVPGSEjSVbISFO"
    "Nr00YCg8uV+hOynTcRkjo9OGmgX9KpUN1fw11i00epu4YjlUb2C3URnpGf0UrgO2bvAYkp"
    "cyEEntTbYJpWIrq9un2+C583LsTocmI/nf1g5K+/8+HN5+HZqCcAfoDm4zN0LSOGNL9DBz"
    "RxZTM2fWsxWCSvQAJnAhv+K/g7B6Bfoynj83zC9APSk7i3Y/f7eU5udz3S8PnQgq7uK4JA"
    "QAcEHXjzsALY98D9/X98fH//3d8Al3TC09zn/mTCxjs2NNe+ZD7SW5om8jzqpj3d9U+vXc"
    "cKiKJ+jusYe96yku4UI9TmryqaVMvMX9W43hIuF9KXKxpF2h5qCX89ts2yn19STY9TaU09"
    "V1MPwKpBWb/ZztRKXHfq6/F1pZLKHkIv0dYjXMlW1INfVkJFt+kMkxORzjGFC2yveG6FD9"
    "ATclfApT5nfkLRFtkfbIwgBQ+Ip5x47J5cSa/7AVpNV0AO5anpOk6lFXXVFXVFdnuVmKzj"
    "VJrLCS4zaeXJNMrs+EWasnsRjPrT9YT/mCmERPJVZWMdp+oezoOj4wJAs1GZSIt7cajLhe"
    "N0EE4H4RQw7XUQrtkgXHTnSwa64pifBvRffr5GNvSxdI/LCK+1zFbJwv3PJv0fYolKnB/h"
    "0s32fHD2F3N7ZCOgXQsKyMF+jmsBLSC2y2zgG4IOFo0cFFJDD3L00APZLl62diRK0z2Uvy"
    "8C8vfZGH+fhDgsWStdP5Ii7GAFyeDoqJDKf5Sj8h8lEXepnbGgR2S5SOlOcXs2oH05rDfK"
    "Xgm0e7c3o+sTnu7i3pHh2cX48gRAa4FJ0iFfhAfvi1hd77ONrvdpm8sz2H6MnyRcOKUMYE"
    "iy0jYidAkOPDDCplgQipuX3RZPr67OYw6i0/EkgfHtxemIYS+gZ4PwWsEdX050pYj2wPeW"
    "jlWR63FKzXVVuC5x1gZvL9EnzDkks0rsz5hC++jVYXtGhYEIkFctJokSa16rxuuUO7CI+y"
    "rajKS642rb9qRlYj7TZSVJRdsTo1pzpNQDaetgqw7RBf+jqwCFivITcmtYTQKqX9dTtVbU"
    "7vjsmL0ta+VQ6qPjc3R1RS3Q4oGtgDl29kRpguDiQkzWJahKRR0iahJeYD8H0CuCJpT9bz"
    "esPARxvpmtI19oyfDM0MZwrUclO6WJG/3cRml8CGogRPPv9dP4xOKtftMxG5ViNroXVZNp"
    "F9rn8xf0+YQtlcqIryhNs+k2qpj5O2VW+jN6WJXNYUoS7gGtmjrDnsgG9lFJWONUOjssNz"
    "tso/3smR7WNXu9n0gQi0pAeYaYZOHWhWtx417NJbsT3fgnuxvfreSsAeKCmY1qStjdmY3J"
    "TSaGLnsLcHl7fv5aJYvC9Bs9IfH6csNwfbe/0zo0EB9YonhxQZ8QrxbkzaD5BCfgeU6BQx"
    "mWyALYB1OXLtg1bM5BsECBT9cX+uwPRESv6ef5Sl67WPP8Or9QgZ20n2OrwtCNUdRY3RBo"
    "a7WAtVqlnmivOqJqGVhNrdk4vEcHRRI42ahMgMW9Nmf+vGheZzvdAUUSf9g2ScsW30RptM"
    "0a/4j4pm5UM1wlpBpdeRNxNZ1X7fAGRPFkgqHaWk0R6pXaNj+Lio6Acm6WqMB8eV+Lmst2"
    "J8SSXSbDJSAXFBrogkCnRGQBmIVmpX1aO5CN6p9KubPGFlo41EfEXGWcCpcY0c9za+Ht2F"
    "KnxJk2RsR/a86phwg/FE2c4AaBixj8ol8W47bn94E478biTifeYMuEto3c9flpBLA7rkhq"
    "kZ0T18ATpLkZYTmTmIb/hT1Kp2io5fba8KaoW2ZD0EG3V/3tXR6RJMaRDW4wvIPQvh98Kl"
    "JbOPiUXVzI7yWsdfZ85DouLtc9J0HWQbSb8N967H1LmpkxIp15oh222mGrcrOklnxDbeqW"
    "pKQBpuiZJWvnmMTq2njNso2t7aW6E8z5u3gOXC8XnWSungUTY1CZTPMNUefiy/W3rtGZ/A"
    "3q1tHXSmE8Qd98OcYJsg6s4jw9b/TPSUzFSx2ru1Hzzq8ufwqHJ8/aTcTP4KzUecbheH2+"
    "dD4rOn/CsTaGdNsazfWKJUxrg6MK1+OUunGJOkxOf9vO0q3YkihKqHmsMo9tOjMcamMzI8"
    "ixu8lifIYXVGGnbIKSulPvy+35OZuMUd6Rr8ObryeA9+O8I5cMXsZuSta/r6Q9USQukh0V"
    "ScVEHBdxfZTnLZjQnCPD921DouWOSYZZkT1Bgj1B+KRdnx97XfbH28H7w4+Hnz4cH35iQ8"
    "R7bq58zOFHut8ifSalHbpRGu3RTdpkCC7KZjNuSRrNY2xHgmiOe1wsPO0f3+Ufj36fu9MY"
    "+eqrAdNJME0bV+nuZLrtF1o64ytRorVvI6lNu5qOLN54AmKilHJPmDbFm13E6lXat7USKd"
    "2/bQdAW5V5T5R+2Ux0TmddQqtU3HgL7O9L6sNsSIt3cBOf6d/D2dplsuSCWja+HoqqrDB7"
    "RJTtiLbH+l8219ZtKboZsh8WucgE0uDoWAfiFQvEL8PGkwU9DVuCSp4F1YRf3a4FZjH4y4"
    "yWBLs9a1vqF/SqOYhYHKJyCPd+GV2ejS9/OgEB/R25Hg3P/ucE8CDI6o58GY7PR2f8idhG"
    "1h3hzq/xr/wKdM05fkJWFcdb/aedQNfHUyYFjZJp30m6DmZNNJL/HewDJZDeUnQQ4/ozUz"
    "z8v7KTe/AsU6aHFF2S6N8PBh8+fBwcfDj+dHT48ePRp4ONaE/fypPxp+OfuJiPwS+R+3Tp"
    "msiYUnchi57lLO4kYQfXeP1C20PuE3t+WZmdIOsi1I2I7AC2Cqs7RdlFzBtb3hVEeYJSi/"
    "TKIn3qsr88U/exzIKPEXVwrddfbblBLLvbQQG4o8TdO/+9ftQDjCpAnqbUeO/GG3k+Zjsg"
    "dQ3Thl6pnoUS0g4KFmbhFcCcjco5Sja9j8InZBnP2Jec3JudMR6nUiNvnD+2M3njHp4R6C"
    "9diW6Tw5UokWZK7UzBxFn6BvoGF47s/OVsxqQI92KOYvvCS3PhGbqEvU+pCpcojRofRqeq"
    "XHSl1ytVei14ayOz1KcQIVHjS+jUFqFL75RhBXXxDBNosycyFbpkoa+UuAMCKmlRHBWyKI"
    "5yLIqjVMNuunB4PLOs5zlJ1z2buRHP8wY2/ij44BkWnk7TuH+xKczYhjNnSHBgyqdoHw9y"
    "ID+7uj09H4FfrkefxzfjQAZtSpHETX6JXcDrxN7r0fA8edCWh4wQQYkjmlIbQZJR7ZkgTe"
    "D9wGibEjBhps7L4n16dXUek/On46SSc3txOmLfwHdx3NOu5wfom3OxYl36XKYOKE2o63/y"
    "4H2G2DcWEoRzJIqUWkuTAtKkXf0CXnaJt7N0vEjDgJB3pQ9rTBHqQrG4faz0yQyqCK5OHS"
    "CgRA57f68TBLZfdQ3Q1tZ0XcUCvJT802V4XawHUlMH3LMcqGSZy7rSTFLfsilByy5s2Va6"
    "NVbQIlqU6soVpSpXbPQk250LtjAJiVXOpOj9Oh79Y3R9Ap4wekbuHWHG19n48+SKXQqkFW"
    "VXL4bMwmX/8ZELDjr7b70rvn4io7b4sqHvrsWnDZOaLT2VG5C3w27WZl5pha+/l5mnXFd3"
    "FS08RZu6i7Y2EmU8bHeTrYvznjENqOJa81ZJ837dvuK7MX65NPHaW7brXLNXyjXThkr2mu"
    "+uodKS0FRLLJYcHVtNp7+SanadXv+thlbdnV3UrGkJ3IkMY97MZk+AuFZ8gcKuOC0T7q/i"
    "7Y8glmFlbPHMtzWMCAeLnNMbDJ9jpw/48bkEYPKEfcFhfmQuJQg8z7GNwP39fygmYl+/vw"
    "fYE79BdjBvHVNKow9hj1IdfFDPBHKprEaqWOwhpO1s6OGODM8uxpcnAFoLTNQIRIhvspJ+"
    "H6fU+n2b9PuNvC3L9BihPs9C5fMswu+ztA2XItQ2nCJd/VWTkDqIpwaaOQ6Gl23or+gCrd"
    "zSX0fwGovgybcq7QXbgWtqcy7tBWvSgRFP8ZT4MFI5oNlujMjRTTadNR88jaQ1RkIXv/Fe"
    "3ZGeTtFb2tfwur4GxH6t50tVh+yga5xKZV9DxeBrA41zW9e7u4Jj5+rnE0Af78jo+po7c5"
    "Dr0kq5ojWfgCfeg6FplcosiFN1r6a+/j50pGxFMdmvklg5GVJzKbHNfjoxV2VriONkFYuH"
    "VcO24eph0WesVP+ZLYVuSbZnYzjP4MemlpHNCbLuCef6FRC69Msu8QiJXuPV13i70r8U8d"
    "a1LlRgQtsu7YONEekOBLrQp0lAAw9MSUjjVDqMpct9XrzcJ7ORfDVcix/OquaS3Ylu/JPN"
    "cG6n9y6V4gYqhmNim7VSIYPh0sL+iPjuqieJF0Tu9vOCBZCPMxAbiJtoeaCTDFVy/Guj5K"
    "9glEBTXu2Vc/LkhqKpSMPrldQdFokrHGYHFg5TkQXIU1VLKtRRGm3ySeBkvzCr+Uoeohsy"
    "7Q3c7Q1cQ7ZgmzMtFflN0nUP6wYOARaYsW3TYroVhmV9Ghnk2hJPnh/gMl1zjUeJBZ0gUz"
    "m8rsyCDjArlzMSI2pIbLyealG/hA7wKr0ZJuk6KKGbOAzgFb3Naq3rOp339JmUDomkKTW0"
    "cXXCstjNUqc8Rki6Jw7qF72vlhT5F8PZQj7Eks0tOyNhS6HGsU+tP4ErFct6HQe2iMv8fU"
    "l92JM4sCN3+3kO7PXW8TsfWLBof5tKD9ha8D2AnpC7AmtPP6BTUWAvpgULuAKeg4gFQqf2"
    "3wAUvwM80CW7jD02h/grstK1/I0+SXvbldijs73tDlNmFpgsfYltmpkdGyfSZ+2kE2Q5Qh"
    "aUFDzlYhpQaEDTgC4dq2JUKE6pOxkoHCZKdSoKeVe6yj1FqJ2SyngVKuy0SsKZk221XX5p"
    "fHXJa7yUOPml1pC/sjPt7YqgCWX/azrpTYWVXUPKW33mFF/L53iBg50rYU5F7vbzzClRfm"
    "5vB+5ugUbWXZkwH+hT9788QJmV42ILhRYOn5Nd5twF66k3to34J7dtmAkDAjZJeqI18wxt"
    "QSkg6vt5FtS2kl3Yz0Y1kyp/Fm0SyEwCm0JrjdScLiVZoploy0g1xNrq0laXVCXTVlfnmm"
    "GpoJlqm6uTNpe8g1ZJk6tq/ywV1nXNB+DsV4CBXGzOe7Lii/Wdfm7hxXaMMhUXmUqdVEhK"
    "1LiAI8quonqUuGyDJbNoLTuDIELSwTzEwdFRgQQCNiozg0DcSyTDsI+qBMLB8A6i+/7goE"
    "hS3MFBdlIcv5foXECJj4jEKsnO0IiQvHyKxusoU91Ixvjz/wGy2JWC"
)
