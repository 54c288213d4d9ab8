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
CREATE INDEX IF NOT EXISTS "idx_audit_entri_model_o_66c6c0" ON "audit_entries" ("model_owner_id");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "audit_entries";"""


MODELS_STATE = (
    "eJztXW1z2zYS/iscfUpn1Iyj2E7iu7kZ2VYSXf2SseW017rDwCQk4UwBKknZUXP57weQlP"
    "gGUgRFSiCDD4klAEtSz4KL3cXu4ltnRkxoOS9v4NiGznREHiHunGjfOhjMIP3A7e9qHTCf"
    "h72swQUPlkdg+yN1lw31usCD49rAcGnvGFgOpE0mdAwbzV1E2N061xhqAZ3m0WkvHpYach"
    "3ty5f/uujLl5/+oS0caGoEG5TcndIRNpxbwKBtwUhnYRjQcYj9kt3TJAa9KcKTei6/wOiv"
    "BaS/cQLpaJve5I8/aTPCJvwKndXX+aM+RtAyY4Aik13Aa9fd5dxru7sbnr/3RrJHf9ANYi"
    "1mOBw9X7pTgtfDFwtkvmQ0rG8CMbSBC80IvHhhWQE/Vk3+E9MG117A9aOaYYMJx2BhMSZ1"
    "/jleYIPxRvPuxP47/FfwaJFhun51PdJvByNd76R4yh4hwYegySCYzQeEXQbUt+/+dUNAvN"
    "YOu8HZx/7Ni9fHP3kQEMed2F6nB1fnu0cIXOCTeqBHUHacBTR14KbBPqdguWgGMwCPEiZw"
    "NwPKl6sPZfBfNYQMCF+KFbQr8GqAm76fwLzG1jLgfA78o+Hl4HbUv/zEbjdznL8sD77+aM"
    "B6el7rMtH6wucWoe+7Lw7WF9F+HY4+auyr9vv11SDJ0/W40e8d9kxg4RIdk2cdmJFJumpd"
    "oUZHhjyHX+eIXq0E0+OULeR6Q7i8wiSXzUxSl+BxhKwCBgfzUfG3ev46dJmlP18XWyjjVF"
    "UumGnWplbM/XB2w/LINJDxI3d1DMBK4/ue2BBN8C9w6aE8pI8CqE7EgTTQC2/DKzUS17A1"
    "vL8Nntd6W2Je0Q/0Z0PXg+Csf3vWPx90PKQfgPH4DGxTj0HOekiPJFrWY9Nds94s2QIwmH"
    "jwsB/CHjsBPUdbj3AlW1EPfpmAim6RCcInTD+mo2bIWtKPwNXgE7SXmk1cxvyEok3G/hiP"
    "VHuAFsETh/bxlfSqb6DUdAnkUJ6ablBt1C21nMcpW6iyKUVdEkVdktVeJiYX0uNs+EQldJ"
    "l3O06ptPUmcJlKK4enUZ5NgZ3P5ZAywWkKWfN4S/W1r7oF8cSd0q+vezm8/ty/8ZfOXoJ/"
    "V0FPz+v6nrR+bZ0qhJjzVmVjHadqH869o+MCQNNRmUh7fXGo0VwEYn90+6A9PiyA7PFhJr"
    "CsizOFxfTrCIky7XNNe4ZUBXb9XXCZRiK60aiPTCdRiz668iU3uuKYnwb073+5gRZwEXeN"
    "y9hea5itkoX79zr9H94U5Tg/VlM32/PB2F/M7ZGNgHItSCAHuzmuBTgDyBJZwNcEpdbwEi"
    "jvUAs9KKSGHuTooQe8Vdz7LKiGrmjah/K7IiC/y8b4XRLiOXCcZ0Ll5BQ4UxGcU4TVgC2V"
    "Xto7Oiqk8h/lqPxHScRtYmVM6AFezFK6U9yeDWh3h/Va2RNAu3N3O7g5YeEu9j3un18Or0"
    "40YM4QTjrki/DgVRGr61W20fUqbXM5Ol2P0ROHC6eEAgxwVthGhC7BgQdKWBcLVuJmt8vi"
    "6fX1RcxBdDocJTC+uzwdUOw96Okg5Cu4w6tRAnDlgc+e6+31wC/mZkmuxykV12XhOsdZGz"
    "w9R58wpgBPSrE/4xLKRy8P29NvuwUcV/c2yEtwPEWseC0br1PuwCLuq2j4R3nHVaXxP3L4"
    "rLopl9J2EF2yP20FaKUEPkG7gtnkQfXZv1RjxUg+YA61JeG2Lx27RptmVJ1u4r6FgC/PE3"
    "5iv6Ob5ygGbAiswVX8h383dmHvqf5UvmOZfMeifs1qfZr7NoDq3v5VtucPaHt68k5w1z9K"
    "U++2vyzmxkaZlX6NHpaisRRJwi2glVMD2xLZQJcVhDVOpaJUcqNU1trPlmEqbbOtuolAla"
    "gE5EeqcCZuVbgWN8TknLIb0Y2/spvxDSVnBRAXjLCSU8JujrBKLjIxdOlTaFd3Fxf7Sp3y"
    "TL/BE/Qen28Y+r3djdahDtlAgSSqGXmCLGsJYM27wIn2PCXanFAsoakhVxvbZEbbkDHVgg"
    "mqucRv6NI/kNJhk35Y8nOoKr6+inOSYCXt5tiqYOXGKGqsrgmUtVrAWi2T17BVPkO5SJC6"
    "5mwc3qODIoFkdFQmwF5fkyMQdhpf1kx3QJEABLpMEtEkgCiNslnjLxFb1PVyhiuHVKH7vU"
    "HOq2Z4A6J4UsFQbq6mCNVMbZqfRUZHgJibJSowd+9rkXPaboSYs8pkuAT4gkIBXRDolIgs"
    "ALOnWSmf1gZko/qnVO6soQlnc+JCbCwprzocl1ZiRDfPrYXCsfojXBZ0bfU1w0IQuz8bU+"
    "JArFFKbUxsDWg2pPB7dXsotx23qzkGmdPvLvEK/RjAsqDt+ZwA1miP7UW/pJ1btdyBG5ux"
    "SqvwLsM+0FupEA253F5r3hR1y6wJWuj2qr7MxCPk7HFkgxsMbyG0r3pvi+Q49d5mJzmxvo"
    "S1Tu8P7bmNxKp4JMhaiHYd/luHPq+gmRkjUpEnymGrHLYyF21pyDvUpKotUhpgW5RtqdP8"
    "8p1jHKtr7TXLNrbCpqoDzMkz9ieDCjCXz3pRAeY1qnzRx0phPIJfXT7GCbIWbN7nqR+D30"
    "YxzWMF6IvL/m8/xbSPi+urD6vhEQacXVyfJrd1wIQTifLv2+urjN2cYHxSEUSGq/1Ps5Dj"
    "1gZ5KEMeFshyEXZesvvtQ4wwfPJZkUQ9IW/YBZKsUDr6j6ijq8yalnG9SGaNrweX4XqcUu"
    "X1y8Pk9Ls9X9glK3ZECRWPZeaxRSb6nFjIyPC9b65BFr/CDlXYMb2AoO7UeX93cUEvRinv"
    "8cf+7ccTjZWru8dXFF7KboL93ydoTxRx12c761Ou+rkNmT7KttMNYEyple1aOkfLHeIMsy"
    "L7Agn2BF79Zr1+9HHpn597rw7fHL59fXz4lg7xnnPd8iaHH+lyZJ7XQtDPGKVRjsZ8R+Pa"
    "K6Q8jXmexuiUKl8hOlI+Ig63SLGPdZmKlkAdDzxKpFBtCdM6aauNWO2lxE4jkVI1djYAFO"
    "okW6L0aX2hCzJpE1q17xetXsGsbaPIK7ph9yhWe6u+MkWL2QNtpD8s0khftN7Rsdpckmxz"
    "yWdVCulMEyUkKGWSyPZSV22TUF3YXWSk2G42yUPqHZrjc4hNBpEYwp1Pg6vz4dWHEy2gv8"
    "c3g/75f0405j1d3uP3/eHF4JzdEVnQvMfMah5+Zi3ANqboCZplLPbqq4gD20VjKgV1wTDG"
    "JF0Lt1triWcM1gEBpEOKFmJc/Za2g/7mVcRHk0yZvqJok0R/1+u9fv2md/D6+O3R4Zs3R2"
    "8P1qI93ZUn40+HH5iYj8HPkftkYRtQHxN7xnO750zuJGEL53j1QtuB9hO9v6jMTpC1Eepa"
    "RHYAW4nZnaJsI+a1Te8SojxBqUR6aZE+tumHZ2I/ikz4GFEL53r12UNrxLKzdwvAHSVu37"
    "mq1aMeYFQC8jSlwnsz3tBxEV0Bia0bFnCEanBxSFsoWGo5ldkBT9DUn5HLOREvO9Q0TiVH"
    "wCm7bWsCTh00wcBd2BzdJocrUSLFlMqZgvB84erwK5jNeecaZjMmRbgVcyRbF3bNhWdgY/"
    "o8QqHxURo5XoxWhcerFJE9pYjMWKkOQ+hViJDI8Sa0aolQOTvSsILYaIIwsOgdqQotmCHI"
    "JW6BgNrBoc8Gmc3Zfqao5zlJ1z6buRbP8xo2divw4OgmGo/TuL+3CMhYhjOvkODAmF2ieT"
    "zIgfz8+u70YqB9uhmcDW+HgQxa5zB4nawpPPD5ZtC/SB4c40B9hSDHEZ13ynaSVB20Xfyg"
    "7QfgGlNvxtrkWSSBIE2oEgfy4H0GyNVnHIRzJAqXWkmTAtKkWYnGu53izcw5LZJpvOKd8O"
    "FjKcJaCzg3rzK23JXGZRFcrSqILUXAe3eritjhW10BtJUVEZax0nhK/gkXElbpZQ3Ic5FT"
    "B9xtmoufQcXJb1mnVmUntoQZXLUltHgl91TmilSZKxZ84q3OBWsfrIhljqTofB4Ofh3cnG"
    "hPCD5D+x5T4+t8eDa6pk2BtCK09bJPLVz6j42cMdDpP39V3H8go7L4sqFvr8WnDJOqz++W"
    "uKBuM+xmZeYJK3zdrcw86aoUy2jhSVqkOG7BcLTylImTrZ1HShpZZFKDmp7QyiNae0SF8F"
    "LRIyHL0S6lx+9Vjw8O4uEub3kH50apZNbiS26n15AX2rjU9BIm0/UvJxp5vMeDmxtmJkHb"
    "JqVMoYorw3nPQdE0heJ04lTtCxmpPs0Ci26Y4+02yqWTIRXvlFvAP9tNcIs8TlZyb1w2bG"
    "veHPfC6IXCK0MKFXG/Zd6Do7NyoiKyOUHWPuFcvQJCFq7oFI+QqDmuKvyrktC5gTbe2aWi"
    "QTZRIhVgo/zYdQIaP2y6KKRxqlrnaEMwVd7sTaBW7M1WB8uLoSt8qry/DO1uw0DK5WpzRF"
    "h0sZbqWPn+wkTuALs290j5SG83b7MAsHE6xOyI9vq3CpTjf6+Of2WU/AhGCTD4ifM5hVXX"
    "FHXtNOz0CLmYU+WwyL7CYfbGwmFqZwGwIDBBhTpKo0w+Dpz0F2bFFuYhuiZT3sDN3kAfsh"
    "ldnInQzm+Srn1Y11Dj2sOMLpsm1a0QEPVpZJArSzxZHsOmuqaPh8CETpDJvL0uzYQOMBOL"
    "GYkR1SQ29qdaVC+hA7yEF8MkXQsldB21LvbobZZrXlfpvC9zRmCaUkEbVydMk3YKFTGNkL"
    "RPHFQvevcWFPmD4WxCFyDO4pYdkRBSyFHVrPEF5lJ7WXtyYEMbGdMOz3nt93RzHdfhGGk8"
    "1pkxj1zxwIl3DGTBdp5q6YMdsx3UJYqjb1sVXW47rpaKeuylElEk/OEtRPfVwUERo+LgIN"
    "uoYH3JAnrYDc65LbrCRUh2v8Q1POhur4vZ9/8DxQY+Lg=="
)
