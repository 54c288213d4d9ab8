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
COMMENT ON TABLE "webhook_attempts" IS 'One try at sending a delivery: the delivery log''s lines.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "webhook_endpoints";
        DROP TABLE IF EXISTS "webhook_deliveries";
        DROP TABLE IF EXISTS "webhook_attempts";"""


MODELS_STATE = (
    "eJztXeuTm7iW/1dU/rJJlZNKnDjJ9J2aKnfamXjTj9x+zNy901M0Brmt21hieLTjnc3/vh"
    "IGm4fACINbEH2YSQI6Av+OODpv/d1bEBNa7suRjb7AVe8I/N3D+gLSv6Tu9EFPt+3tdXbB"
    "06dWMFS3kfYAV8FFfep6jm549PpMt1xIL5nQNRxke4hgNnoELILvX1joEZrAcKAJsYd0C8"
    "yIA2yH3Dv6wj0Cd3cL90H72fanFjI0ZP6i/exCOtr75e6uD9w5WWJAsAFfsoeaxKBPRfi+"
    "gflv8S2+wNYK6Bh8Pht9fHH1eTQYvgNkBrw5BGsi8Iz+fvq4KR1GLzmP0Hkxh5YJbGjb0H"
    "kOkAtcj9CXOaIDTJ1Cp7vwFpv+wgZzYpkuwAT4LkMU0Kn69GkmHWnMofEADOJ6Ln0bGLwA"
    "cHT6YIc+nb6RDmzddZfEMcFcd+cBGj5Gf/lQ88g9ZAMpJn/8SS8jbMJv0I3+aT9oM0RfMc"
    "F0ZLIJguuat7KDazc3k5NPwUiG9FQziOUv8Ha0vfLmBG+G+z4yXzIadu8eYkhfF5qx5YB9"
    "ywpXTnRp/cb0guf4cPOq5vaCCWe6b7FF1ft55mODrSUQPIn97+0v4avFhmna+cW1djW+1r"
    "ReZg2yV0gtm/CSQTBbvwh7DKi/v6/n3QISXO2xB3z8PLp89ubd8wACyqB7J7gZwNX7HhBS"
    "Nq9JA9C3KG8WXRbsj3Pd4YOdIEphTl+5GbQjoBqAtrfQv2kWxPfenP7zzaAA6t9Gl2u0Bw"
    "HahMqXteA5D+8MglsM9C3IwZ8C+Ebj64E2urDFdisNDw7uu7clwH33NhdcdisJ7lrqaUzk"
    "iGCcIlNQl4HaIGyODMr/fXVxnoPyhiIFsIkMD/wfsJDrNQV0TDxPfWR5CLsv2fOeQkIzhN"
    "jMC9f9y4rD/Oxs9K80Bz6eXhynRTmb4DjFjkD9oVJYiCMJor2YEkpoWRb/odGn4oNho+le"
    "Fv4TesdDC8hnQZIyzYOQ9GX0lzbKIfoDTaaohqukgDXXk7Px1fXo7GuCPyej6zG7Mwiurl"
    "JXn71L8WwzCfh9cv0ZsH+Cf1+cj9Ns3Iy7/nePvZPue0TDZKnpZkzliK5GqCW4Dr/ZiM5W"
    "getJyhq43p7vTyYmR5gUctmBj+Sh0redpFRclpnLlu56mu9W4nOaVnG6HZxGtoiRkKarZC"
    "VIxtemjQQKl8P1J+Q7b2IkdXpwskAf0qlQ3V/DXGKzB667hiGVRfYTcSC6x1/gKsB3Qt9D"
    "xwbPhRB6Um/CaVqJ6Pbq9vmOvty4EOPLif50+oOht/7OR1cfRyfjXgDwVDcelrpjagmk2R"
    "0yIKkrm7HZW4vBIn1Fx/p9gA37FeydQ9Av4YzyeX5N9QPc47i3E/f7RU5uZz1S89jQkq7u"
    "CwxBSAcCOvBsugLIc8Hd3X88dHf3/B+ASbrA09xn/mRMx9uWbqx9yWyk6xsGdF3iZD3d9U"
    "+vXMcSiKJ+gesYua5fSXdKECrzVxZNqmXmr2xcbwmXS+nLFY0iZQ+1hL8u3WbpzxdU05NU"
    "SlMv1NRDsGpQ1q+2M7US1536enJdyaSyR9BztPUYV/IV9fCXCajoFrlH+ChI55jpC2StWG"
    "6FB+AjdFbAIR5jfkrRDrI/6JiAFEwhSzlx6T2+kl73A5SaLoEcKlLTVZxKKeqyK+qS7PYy"
    "MVnFqRSXU1ym0srlaZT58YssZfciGPWn6wX+Y6oQYs5XlY91kqp7OA+G70oATUflIh3cS0"
    "ItFo5TQTgVhJPAtFdBuGaDcPGdLx3oSmJ+HNJ/+nIJLd1D3D0uJ7zWMlslD/fvTfo/giXK"
    "cX5ESzff88HYX87tkY+Aci1IIAf7Ba4FuNCRJbKBbwg6WDTyqpQa+qpAD33F28VFa0fiNN"
    "1D+acyIP+Uj/FPaYijkjXh+pEMYQcrSAbDYSmVf1ig8g/TiDvEylnQY+wvMrpT0p4NaQ+H"
    "9UbZE0C7d3M1vjxi6S7OLR6dnE3Oj4BuLhBOO+TL8OB1Gavrdb7R9Tprc7ka3Y/RI4cLx4"
    "QCrOO8tI0YXYoDU0rYFAsicXPYbfH44uI04SA6nlynML45Ox5T7APo6SC0VnAn59eqUkR5"
    "4Hu+bVbkepJScV0WrnOcteHbc/QJY67j+0rsz5lC+ejlYXtOhUEQIK9aTBInVryWjdcZd2"
    "AZ91W8GUl1x9W27UnLxHyuy4qTirYnRrXmSMkH0tbBVh2iM/ZHVwGKFOVH6NSwmgKofltP"
    "1VpRu+Ozo/Y2r5WD0EfH5ujqilrAxZSugDmy90TpGuqLs2CyLkElFHWIqUlogbwCQC8wvC"
    "b0f7thZSGI081sHflCBcMzIwvpaz0q3SktuNEvbJTGhsAGQjR/rJ/GJg7e6k8Vs5EpZqN6"
    "UTWZdqF8Pj+gzydqqSQivuI0zabbyGLm75RZ2c9ouhLNYUoT7gGtnDrDnsiG9pEgrEkqlR"
    "1WmB220X72TA/rmr3eTyWIxSUgP0OMs3DrwrW8cS/nkt2JbvKT3Y3vVnLWAHHJzEY5Jezu"
    "zMb0JpNAl74FOL85PX2qksXA9Bs/wuD1+Ybh+m5/p3WoQTZQoHhxQR4hqxZkzaDZBEdgOS"
    "fAJhRLaALkgZlDFvQaMuYgXKDAI+sLffoHxEGv6eV8xa9drHl+lV8owU7aL7BV9ciNUdZY"
    "3RAoa7WEtVqlnmivOqJqGVhNrdkkvMNXZRI46ahcgIN7bc78OWheZzvdAWUSf+g2SUSLb+"
    "I0ymZNfkRsU9eqGa4cUoUuv4m4nM6rdngD4nhSwVBtrWYI1Uptm59FRkeAmJslLjAP72uR"
    "c9nuhJizy+S4BPiCQgFdEuiMiCwBc6BZKZ/WDmTj+qdU7qyJCRc28SA2VjmnwqVG9IvcWm"
    "g7VuiUOMNCEHsvjDlxIWaHogUnuOnAgRT+oF8W5bbr9UFw3o3JnE6swZahWxZ01uenYUDv"
    "OEFSC++cuAaewM3NiMqZgmnYX+ijVIqGXG6vDW/KumU2BB10e9Xf3uUBcmIc+eCGwzsI7e"
    "vBhzK1hYMP+cWF7F7KWqfPh47tILHuOSmyDqLdhP/Wpe8raGYmiFTmiXLYKoetzM2SWvIN"
    "talbkpQGmKRnlqydYxyra+M1yze2tpfqTjBn7+La+nq5qCRz+SyYBINEMs03RJ2LL9ffuk"
    "Zl8jeoW8dfK4PxNfzm8TFOkXVgFRfpeeN/XSdUvMyxuhs17/Ti/NdoePqs3VT8TL8XOs84"
    "Gq/Oly5mRedPOFbGkGpbo7hesYRpbXBU4XqSUjUukYfJ2W/b9p2KLYnihIrHMvPYIveaTS"
    "xk5AQ5djdZTM5wQBV2RicQ1J16n25OT+lklPIWfx5dfT4CrB/nLT6n8FJ2E7z+fYL2RJm4"
    "SH5UJBMTsR3I9FGWt2DoxhxqnmdpHC13gnPMivwJUuwJwyft+vzo69I/Xgxev33/9sObd2"
    "8/0CHBe26uvC/gR7bfIlliYYdunEZ5dNM2GdQXotmMW5JG8xjbkSBa4B4PFp7yj+/yj8e/"
    "z91pjGz11YDpdThNG1fp7mS67RcqnPGVKtHat5HUpl1NRxZvMgExVUq5J0yb4s0uYvUk7d"
    "taiZTq37YDoK3KvCdKXzcTnZL7LqElFDfeAvuXTzw9H9LyHdyCz/Sf0WztMlkKQRWNr0ei"
    "Ki/MHhNlO6Ltif6XzbV184NuhvSHxS5SgTQYvlOBeMkC8X7UeLKkp2FLUMmzIJvwq9u1QC"
    "0Gz89pSbDbs7alPqBXzYbYZBCJIdz7Oj4/mZz/egRC+lt8OR6d/M8RYEGQ1S3+NJqcjk/Y"
    "E5EFzVvMnF+T39gV3THm6BGaVRxv9Z92ojsemlEpqAmmfafpOpg10Uj+d7gPCCC9peggxv"
    "Vnprjof3kn96D7XJkeUXRJov80GLx5837w6s27D8O3798PP7zaiPbsrSIZfzz5lYn5BPwc"
    "uU98x4DajDgLXvSsYHGnCTu4xusX2i50HunzRWV2iqyLUDciskPYKqzuDGUXMW9seVcQ5S"
    "lKJdIri/SZQ/+yJM6DyIJPEHVwrddfbblBLL/bQQm448TdO/+9ftRDjCpAnqVUeO/GG7oe"
    "ojsgcTTD0l2hnoUc0g4KFmrhlcCcjio4Sja7j+qP0NSWyOOc3JufMZ6kkiNvnD22M3njLr"
    "rHuuc7HN2mgCtxIsWU2pmCsO17GvymL2ze+cv5jMkQ7sUcyfaFQ3NhqTuYvo9QhUucRo4P"
    "o1NVLqrS64kqvRastZEh9CnESOT4Ejq1RajSO2lYQRx0j7Bu0SdSFVqw0JdL3AEBlbYohq"
    "UsimGBRTHMNOwmC5vFM0U9z2m67tnMjXieN7CxR+lTVzPRbJbF/ZNF9JxtOHeGFAdmbIr2"
    "8aAA8pOLm+PTMfh6Of44uZqEMmhTihTcZJfoBbRO7L0cj07TB225UIsQ5DiiCbGgjnOqPV"
    "OkKbynlLYpARNl6hwW7+OLi9OEnD+epJWcm7PjMf0Gnidxz7qep7pnzIMV65ClSB1QllDV"
    "/xTBu9SRpy04CBdIFC61kiYlpEm7+gUcdom3s3S8TMOAiHfChzVmCFWhWNI+lvpkBlkEV6"
    "cOEJAih72/1wkC26+6Bmhra7ouYwFeRv6pMrwu1gPJqQPuWQ4kWOayrjTj1LdsStDyC1u2"
    "lW6NFbQELUpV5YpUlSsWfOTtziVbmETEMmdS9H6bjH8fXx6BRwSX0LnF1Pg6mXy8vqCXQm"
    "lF6NWzEbVw6X9s5IKBTv9b74pPn8ioLL586Ltr8SnDpGZLT+YG5O2wm5WZJ6zw9fcy86Tr"
    "6i6jhSdpU/egrQ1HGY/a3eTr4qxnTAOquNK8ZdK8n7av+G6MD5cmXnvLdpVr9kS5ZspQyV"
    "/z3TVUWhKaaonFUqBjy+n0l1LNrtPrv9XQqruzy5o1LYE7lWHMmtnsCRDTis9g1BWnZcL9"
    "Sbz9McRyrIwtnsW2hhbjYJlzesPhc2T3ATs+FwOEH5EXcJgdmUswBMs5siC4u/sPQTjY1+"
    "/uAHKD38A7mLeOKbnRh6hHqQo+yGcCOYRXI1Uu9hDRdjb0cItHJ2eT8yOgmwuE5QhEBN9k"
    "Jf0+San0+zbp9xt5K8r0BKE6z0Lm8yyi71PYhssQKhtOkq7+sklIFcSTA80CB8NhG/pLuk"
    "Art/RXEbzGInj8rUp5wXbgmtmchb1gTTowkimeHB9GJgc0340RO7rJIvfNB09jaY2x0MWf"
    "rFd3rKdT/JbyNTytrwHSX+t6XNUhP+iapJLZ11Ax+NpA49zW9e6u4Ni5+HIEyMMtHl9eMm"
    "cOdBxSKVe05hPwgvegaJpCmQVJqu7V1Nffhw6LVhTj/SqJpZMhNZcSW/SnY2MlWkOcJKtY"
    "PCwbtg1XDwd9xoT6z2wpVEuyPRvDuRo7NlVENqfIuiec61dAiO+JLvEYiVrj1dd4u9K/JP"
    "HWtS5UYOiWJeyDTRCpDgSq0KdJQEMPjCCkSSoVxlLlPgcv98ltJF8N1/KHs8q5ZHeim/xk"
    "c5zb2b1LpriBjOGYxGYtVchg5JvIG2PPWfU48YLY3X5RsEBn4zRIB6ImWh6oJEOZHP/KKP"
    "kRjBLd4Fd7FZw8uaFoKtLwdCV1b8vEFd7mBxbeZiILOktVFVSo4zTK5OPASX9hXvOVIkQ3"
    "ZMobuNsbuIZsQTdnIhT5TdN1D+sGDgEOMKPbpkl1K6SL+jRyyJUlnj4/wKG65hoPgQWdIp"
    "M5vC7Ngg4xE8sZSRA1JDaeTrWoX0KHeAlvhmm6DkroJg4DeEJvs1zruk7nPVli4ZBIllJB"
    "m1QnTJPeFDrlMUbSPXFQv+h9sqTIHwxnE3o64mxu+RkJWwo5jn1q/QlcmVjW0ziwg7jMP3"
    "3i6T2OAzt2t1/kwF5vHX+xgSWL9rep9ICuBc8F8BE6K7D29AMyCwrsg2nBQl8B14bYBJFT"
    "+x9AD34HmBKfXkYunSP4KzSztfyNPkl526XYo/O97TZVZhYI+x7HNs3Njk0SqbN2sgmyDC"
    "FT5xQ8FWIaUihAs4D6tlkxKpSkVJ0MJA4TZToVRbwTrnLPECqnpDRehQo7rZRwFmRbbZdf"
    "Fl9V8posJU5/qTXkr+xMe7vA8JrQ/zWd9CbDyq4h5a0+c4qt5VO0QOHOlTKnYnf7ReZUUH"
    "5ubQfuboGG112ZEBvoEee/XEColeMgE0YWDpuTXmbcBeupN7ZN8E9m21ATBoRs4vREa+YZ"
    "yoKSQNT3iyyobSV7YD9r1Uyq4lmUScAzCSyim2uk5sTnZInmos0jVRArq0tZXVyVTFldnW"
    "uGJYNmqmyuTtpc/A5agiZX1f5ZMqzrmg/A2cvg+h1O54Q8jDwPLmyvxzG6UiP6RYbXcj2W"
    "7urB4JLWF+U6hWEFdA+4EJsUQWr10LkRCzQdhRbP+l/AIvfUQrIQhm7WxNpnIm6z6Wh0L1"
    "hVQfNt1XJaKusq5Ep51X5LoDq3cDR6Knedahp9krKDGn17Nfhsec26LVdOZ6ncbydFpSxi"
    "1fnoCTsfbZq0lc1z2xB0L8XtzatXJXLc6Kj8pmjsXmov8A0DQhNyFJljQiyo4xwxEadLYT"
    "2lhN1ayscXF6cJsX88SZ+sdnN2PL589vp5cklnhQeG37xId66wA3PIVZN+mXfhyLwQdPmk"
    "yFS7mGLHT9yI29PtE9rCJ7EZ24nwThdEao3JdA5vmgn5Pos4n3Y7LcKfXLaFBAvoEt+bkm"
    "/AIcsjsHQQFb3snKvA0UCJsbuuSWfhXXbJmOv4nk4UPgiaYLoCOlgS5wE63IBx3fNznRwQ"
    "mzYJlXe6afs21B7gKuPo+CPWyze906hm2E/rBYGPEItXkCapOlhAWn+j4AV0XSqVBAtskl"
    "QdBLr+CpspMTkbdv5Zz9H4ToBbpOM2ccxz+1q89+y1f19QTPe+js9PJue/HoGQ/hZf3Xz8"
    "OB6fjE+OwMZuvcWfRpNTdmmmI2ttxz598Xo8qFLSYRcnOZy7+1VTMqdmX50yt38sc9uCug"
    "s1H3u80s1iXqdIFZ/l57NHHiCngVi+8ZEiU7lJ6ciG62nV4kY8UhU84gWPXNb/pGIEKUNb"
    "MYwkGcgNR5EC3IRDSUkqFU8qFU+KOZcEoE5SdQ/qQSmoBwVQD7JQs55roQOXzEQ2wQyh2g"
    "bVmRg/ngppkIXNwh2V+JyiVcaCzJyOoh+CMdgUmYrBFsdg4zGmemKw49iM7UR4Zww2tcZE"
    "Y7AZzyE7STfLgOOQ+NOXS0jtB34P7dxc8I5A//0AAevNis0PWMcX9e6AdbQ+1JEHHQ/vqh"
    "af9TZchvpCEM0YiQJTjpLFLoIZmYjClbUZQqWQptepI9SMOhzeiXSCtL+p1GkibFiBxyl7"
    "okj85QSATpEdMIWgKR0gCfewlHtvWODeG2bde9vMLaFjcVNkcnSiZc9rdSfaRCYNpJKYY+"
    "Xmr/8tRQdlTSMN720HPiLiu5o42BzS7gUUDgF6tSyK3EmUi1RuFynDWLQKLEZ1wBqwSOdv"
    "bQ2YidwAN41q9K6gKpUl7Z50ayYyHSEnHu1JkSpJJrMkY+m8vgM1+vug/pBldW4GU5ZQpd"
    "OmJVe7IuOHFWHtbAYXSqLCT0q1AOwa1zmSdBMiK3niSqb4FvEcFRUijx2svG009Dii0Bvz"
    "HifiGN7pF56rvh0jTXQxd4vm+r0523Io1PaLKkqfVJwfTKSfjyvoo42RdNBJNRgOy/jDh8"
    "N8dzi7lyrWoh+VAMLh8A6i+7qUvfa6wF57nbXX6BM9yMsmyvd9x0gO7/d+GvOsG2etff9/"
    "phz+Ig=="
)
