from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
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
        ALTER TABLE "alias_events" ADD "traffic" JSONB;
        ALTER TABLE "prediction_logs" ADD "agreed_rows" INT;
        ALTER TABLE "prediction_logs" ADD "shadow" BOOL NOT NULL DEFAULT False;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "alias_events" DROP COLUMN "traffic";
        ALTER TABLE "prediction_logs" DROP COLUMN "agreed_rows";
        ALTER TABLE "prediction_logs" DROP COLUMN "shadow";
        DROP TABLE IF EXISTS "drift_profiles";
        DROP TABLE IF EXISTS "drift_thresholds";
        DROP TABLE IF EXISTS "traffic_routes";"""


MODELS_STATE = (
    "eJztXW1z27ay/isYfbnpjJJJHDtJ3U5n5FhpdOuXHFtuzz3HHRomIQnHFMDwxYpub//7BS"
    "hSfAMpkiJtkMGHNgmJBalnQWD3we7ir8GSGsh0Xo0s/BtaD47BXwMCl4j9JXVnCAbQsqLr"
    "/IIL702/KbSw9oDW/kV477g21F12fQZNB7FLBnJ0G1supoS3HgGTkvlLEz8iA+g2MhBxMT"
    "TBjNrAsunchkvnGNzdLZ0H7WfLuzexrmHjF+1nB7HW7i93d0PgLOiKAEp09Io/1KA6eyom"
    "8xb6vyW35JKYawAJ+Hw++vjy+vPo4OgdoDPgLhDYCIEX7Pezx92zZuyS/YjslwtkGsBClo"
    "XsHwB2gONS9jLHrIEBGXTQQbfE8JYWWFDTcAChwHM4ooB1NWRPM1hLfYH0B6BTx3XY2yD/"
    "BYAN2YNt9nT2RhBY0HFW1DbAAjoLHw2P4K8e0lw6R7whw+Tff7LLmBjoG3LCf1oP2gyzV0"
    "woHRu8A/+65q4t/9rNzeT0k9+SI32v6dT0liRqba3dBSXb5p6HjVdcht+bI4LY6yIjNhyI"
    "Z5rByAkvbd6YXXBtD21f1YguGGgGPZMPqsHPM4/ofCwB/0n8f4e/BK8Wa6ZpF5dT7Xo81b"
    "RBZgzyV0gNm+CSTgkfv5i4HKi//t70GwHiXx3wB3z8PLp68fbdDz4ETEFz27/pwzX42xdk"
    "at6I+qBHKG8HXRbsjwtoi8FOCKUwZ6/cDtohUC1AO1jCb5qJyNxdsH++PSiA+vfR1QbtAx"
    "9tyuaXzcRzEdw58G9x0COQ/T8r4Bu2bwba8EKEbTQbPjm47w5LgPvuMBdcfisJ7mbW0/iU"
    "UwXjlJiCugzUOuV9ZFD+7+vLixyUtxIpgA2su+D/gIkdty2gY9PzvYdNFxPnFX/ec8zQHC"
    "He89JxvppxmF+cj/6Z1sDHs8uT9FTOOzhJqcM3f9gsXEkjCaG9lBLM0LIM/qdGn00fHBsN"
    "uln4T9kdFy+RWAVJybQOAtFX4V+6OA+xH2hwQzUYJQWqmU7Ox9fT0fmXhH5OR9Mxv3PgX1"
    "2nrr54l9LZthPwx2T6GfB/gn9dXozTaty2m/5rwN8Jei7VCF1p0IiZHOHVELWE1tE3C7Pe"
    "amg9KdmA1rvz/cmk5BCTQi3b6JE+1Pq2k5JKyzJr2YSOq3lOLT2nZZWmu6FpbFVxEtJytb"
    "wEyfTatpPA4LKFfEI+eRMTaZLByQL9lKRCfb6GU2KzByFdw5HKIvuJ2gjPyW9o7eM7Ye8B"
    "iS6iEAIm9SboppOIRlej59twtaUQ48OJ/XT2g5G7+c5H1x9Hp+OBD/A91B9W0Da0BNL8Dj"
    "2gqSvbttlby4Nl+gokcO5jw38Ff+cA9Cs0Y3peTJl9QAYCejtxf1hEctublprLm5akui8J"
    "AoEc8OXAi/s1wK4D7u7+4+K7ux9+Anym85nmIeeTCWtvmVDfcMm8pePpOnIcameZ7ua7V9"
    "SxBFPRsIA6xo7j1bKdEoLK/ZXFkuqY+yub1jui5VL2ck2nSPlDHdGvw5ZZ9vMrmulJKWWp"
    "F1rqAVgNGOvXUU+dxHWnvZ4cVzKZ7CH0Ams9ppV8Qz34ZRVMdJPOMTn2wzlmcInNNY+tcA"
    "F6RPYa2NTlyk8Z2n70B2vji4J7xENOHHZPbKQ3/QBlpkswDxWZ6WqfShnqshvqkqz2MilZ"
    "7VMpLae0zGYrR2RR5u9fZCX7t4PRfLiezx8zg5AIvqp8rJNS/cP54OhdCaBZq1yk/XtJqK"
    "ttx6lNOLUJJ4Frrzbh2t2Ei6986Y2uJOYngfyn366QCV0sXONyttc65qvk4f53m/yHP0QF"
    "5Ec4dPOZD67+crRHPgKKWpBgHhwWUAtoCbFZZQHfCvQwaeR1KTP0dYEd+lq0ilfNHYnL9A"
    "/lH8uA/GM+xj+mIQ5T1irnj2QEe5hBcnB0VMrkPyow+Y/SiNvUzBnQY+ItM7ZT0p8NZJ8O"
    "662xVwHtwc31+OqYh7vYt2R0ej65OAbQWGKSJuTL6OBNGa/rTb7T9SbrczkaW4/xo0ALJ5"
    "QBDEle2EZMLqWBeybYlgrC6eZpl8WTy8uzBEF0MpmmML45Pxkz7H3oWSO8MXAnF1OVKaIY"
    "+IFnGTW1npRUWpdF6wKyNnh7gT2hLyCZ11J/TheKo5dH7TkZBv4Ged1kkriw0rVsus7QgW"
    "Xoq3gxkvrEVVT2pGPTfC5lJQhF2xOjRmOk5AMpItjqQ3TO/+grQKGh/IjsBkaTD9Xvm646"
    "O9Xu+OyYvy0q5VDpo+N99HVELdHyno2ABbb2RGmK4PLc76xPUFXadYiZSXiJ3QJALwmaUv"
    "a/3bDyLYizbW89+UIrbs+MTAw3dlS6Upp/Y1hYKI03QS1s0fx78zTesf9Wf6o9G5n2bFQt"
    "qjbDLhTn8x1yPmFJpSrTV1ym3XAbWdz8nXNW9jO6X1eNYUoL7gGtnDbDnsgG/lFFWJNSKj"
    "qsMDpsa/3sGR7WN399mAoQi8+A4ggxwcBtCtfyzr2cQ3YnuslPdje+0czZAMQlIxvlnGF3"
    "RzamF5kEuuwtwMXN2dlzpSz6rt/4EfmvL3YMN3eHO71DDfGGFZIXl/QR8WxBXgyad3AMVg"
    "sKLMqwRAbALpjZdMmuYX0BggEKXLq5MGR/IOLXml4t1uLcxYb7V/GFEqykwwJfFYY0Rlln"
    "dSugvNUS3mqdfKK98ojqRWC1NWaT8B69LhPAyVrlAuzfSyLMnjabYT0LcX593piIqs77vV"
    "TnfdKI2m4SMWVCrpiBQqumPcVlFFuQ/Ii4OaXVowwEogpdcfl2OWnDbvAwicWW1hyrGUE1"
    "UrvGcMlIwVQjuOIT5tOzXHIO250QC1aZHDJGPFEooEsCnZkiS8DsW1aKTdyBbNz+lIpInB"
    "hoaVEXEX2dcx5fqsWwiFDEUdtK5/PpJkbEfakvqIMIP47OPzsPAhsx+P1KZUzbjjsE/klD"
    "Bqf7eGkzHZomsjcn1xHA7th+OJHohL4WniCMigkTyfxu+F/Yo1RwjFyE41Y3ZQmxrUAPCc"
    "fmC+s8IMHuUj64QfMeQvvm4EOZrM6DD/lpnfxeyltnz0e2ZeNqdYtSYj1Euw3m3GHvW9HN"
    "TAipmB9F2CrCVuYyVR35hgp4GunqVEnpgEl6WsyGHBN4XVvWLN/Zii41HdrP38Wx4Ga4qP"
    "B++TyYhIKqxPhvhXq3s9980SCVQ9GibR1/rQzGU/TNFWOcEuvBKC6y88b/nCZMvEzIxNbM"
    "O7u8+DVsno6jSO2fwXmlk6TD9upk72JVqOgV5QypgkHfo9bLJI9tHI46Wk9KqpIx8ig5+2"
    "1bnl2zGFRcUOlYZh2bdK5Z1MR6zibH7vKWyR6e0ISdsQ4q2k6DTzdnZ6wzJnlLPo+uPx8D"
    "Xgn1llwweJm6Kdn8vor+RJl9kfxdkcyeiGUjbo/yuAUd6gukua6pCazcCclxK/I7SKkn2D"
    "7p1ufHXpf98fLgzeH7ww9v3x1+YE3899xeeV+gj2ylS7oilQnduIxidNM+GYLLqtGMkUir"
    "cYzdCBAtoMf9gaf48V38ePz73B3GyEdfA5hOg266OEp3B9NFX2jliK9Ucty+Jby2hYJ6Mn"
    "iTAYipJNY9YdqmzfYRq2cpnNdJpFTlvB0ARSbznih92XZ0Rud9RSvI99Rs6rn7Dqvppq8r"
    "3lVf8TJsPHM1y6YzbO6L1ynv68umqz7hVSkuIYL2q0ddmI9o+dqM/jLwj7C3brnEFQahu+"
    "AHilGOYwOg+YNxmuiyJ8jViXwJjYi8AJiYkbEjDiZRE7i9UpeeX+GV/bDYRWYqHBy9UyEy"
    "koXIeGEx3pIcYCRQi/OTbdlomvRjvrzr5ZRp2c15R9JPyHdbiBgcomoID76ML04nF78eg0"
    "D+llyNR6f/cwz49uT6lnwaTc7Gp/yJzKAwbgmnpSe/8yvQ1hf4ERl1KPHmT4CCtotnbBbU"
    "KiZkpOV6GM/USmZGsA5UQDqS6CHGzceMOfh/RaeZ4XnunB5K9GlG//Hg4O3b9wev3777cH"
    "T4/v3Rh9fbqT17q2iOP5n8yqf5BPyCeZ96to60GbWXon3tgsGdFuzhGG9+0naQ/cieX3XO"
    "Ton1EepWpuwAthqjOyPZR8xbG941pvKUpJrSa0/pM5v9ZUXthyoDPiHUw7HefB70FrH8Oi"
    "Ql4I4L14JdMv6obdQDjGpAnpVUeO/GGzkuZisgtTXdhE6lOq4C0R5OLMzDK4E5a1VwvHZ2"
    "HYWPyNBW2BWcZp6fy5GUkiOjgz+2NxkdDp4T6Hq2wLYp0EpcSCmlcaVgYnmuhr7BpWVWUk"
    "xGUJXqra+FFbQJe59KuWdxGTk+jF7ln6kczGfKwVzyomN6pU8hJiLHl9CrJUIlxUqjCmrj"
    "OSbQ1Hi4TtUUfKFwDyaotEdxVMqjOCrwKI7SHoVOlxbfz6zKPKfl+uczt8I8b2Hjj4L3jm"
    "bg2SyL+yeTwpxlOLeHlAZmvIvu6aAA8tPLm5OzMfhyNf44uZ4Ec9A2SdC/yS+xC3gTcn81"
    "Hp2lDx90kBYiKCCiKTURJDl52CnRFN73TLatCSaM1HlavE8uL88S8/zJJG3k3JyfjNk38E"
    "MS9yz1fA9dfeGPWJuuqmToZQVVZl4RvCuIXW0pQLhgRhFKq9mkxGzSrUoeTzvEu1nUoUwp"
    "j1B3lQ+wzQiqFM6kfyz1mSmyTFy9OtpDihj24V5ne0RfdQPQNnYcgoypsZn5TyXI9jFTT0"
    "4bsLFEqkSOWj6yFXODyieqdQneColBm6xZQUbQNp02PxUoytptLQXIL7escn2kyvUx0aPI"
    "nilZjikUljn2ZPD7ZPzH+OoYPGK0QvYtYe7q6eTj9JJdCuZ3yq6ejyYXU/Yfb7nkoLP/Nn"
    "bE84d+Kh85H/r++sjKlWvYN5b5MIVuMA3KMa5sww33coylO6FCRp9Y0gMq/BJdAmM8LN2V"
    "b4vz+lctmOLK8pbJ8n7eMxJ2Y/x0gfWNHz+hovOeKTpPOSr5Y76/jkpHNvM64rEU2Nhybp"
    "NIaWY3uU8SWWj1NwDKujUdgTsVk83L/+xbmo/ZvOcorCPUscm9mf2RGv5FgFiOlxHhWexr"
    "aDENljlzPGi+wNYQ8KPACcDkEbu+hvnx35QgsFpgE4G7u/9QTPx1/e4OYMf/DaJDxpvoUr"
    "j7ENZbVpsP8rlANhXt/pXbewhle7v1cEtGp+eTi2MAjSUmcmxE+N9kLfs+Kans+y7Z99v5"
    "tqrSE4LqbB6Zz+YJv8/KPlxGUPlwkpxQItsMqTbx5ECzgGB42sNJJB2gtY8nUTt4re3giZ"
    "cqxYLtwDWzOFdmwdokMJJBsQIOIxM1m09jxI6hM+m8/c3TWFhjbOviT17dPFYFK35LcQ3P"
    "yzUg9msdV2g65G+6JqVk5hpqbr62UGq4c9XOaxA7l78dA/pwS8ZXV5zMQbZNa8WKNnyap/"
    "8eDE2jUmRBUqp/VQiar9xHquZgk/1yr6WbQxpOvjbZTyf6umrWdVKsZrq1bNi2nG/tV2ar"
    "VLEnklBF3PYspedo/AjoKnNzSqx/k3PzBgj13KpDPCaixvgeNTwX0KCrLPCFNWEioSesBr"
    "O90tlyMJApgnmWFe2QlJQqBJMFtlsxjJJQzp3b79KhaVbeSEgIqcIjKlutTUADGrEipEkp"
    "tRerctaePGct9/yIeriWPy1dziG7E93kJ5uzQ5Ndu2Ta/JJxTzGxWEu17zXyDOyOiWuvB4"
    "JNr9jdYdGOF+TtNMQa4jbqdqhIWZl2r5RT8j04JVAXpywWHDi7lWhru+z58kIPy2yOHebv"
    "jh1mtscgj7euaFDHZZTLJ4CT/cK8CkJFiG7FFKW9m9LeQLZkizOtFL6Qlusf1i2c/e1jxp"
    "ZNg9lWGFblNHLElSeePjbEZrbmBo8KAzolJnOMiDQDOsCsWuBTQqilaeP5TIvmZ+gAr8qL"
    "YVquhzN0G2eAPCPbLNe4bpK8pytSeUskK6mgTZoThsFuVjrcNSbSv+mg+an32SJ7vzOcDe"
    "RCLFjc8sNqIgk5Tnvr/MF7mb2s5yGw/X2Zf3jUhQMBgR27OywisDdLx1fesGTliSgfBLCx"
    "4DoAPSJ7DTZMP6Azv0qE3y1YwjVwLEQMEJLaPwHo/w5wTz12GTusD/+vyMgWpGj1SYptl2"
    "KNzmfbLWbMLDHxXIFvmhtalRRSkVXZyCqOkAEFWXuFmAYSCtAsoJ5l1NwVSkqqchwSbxNl"
    "ym2FuqtcqiEjqEhJaViFGiutlHAWRFtFwy+Lr8rbTubDp7/UBuJXdoa9hafttB30JsPIbi"
    "DkrTl3io/lM7zEwcqVcqdid4dF7pRfQ8GMGu6u40c2pcUwb+hS+78cQJmXY2MDhR4O75Nd"
    "5toFm663vo3/T+7bMBcGBGoSFPZr5xnKg5Jgqh8WeVBROQbff9bquVTFvSiXQOQSmBQaG6"
    "QW1BNEieaiLRJVECuvS3ldQpNMeV29q+gmg2WqfK5e+lziMnAVXa66ReBkGNcNn+K0X+V0"
    "G85mWL+inv+IbO30+P1hYfX0TUvN5k1L+l1M3yDI+WF+jwVt5uIQXvHcP4+ZXQo6BRY1sb"
    "7+aXsLrDAbFZ4LePo2WLALhDlQWaerjQcUn+wKw0Ogw9wvVWhdKndsq5/SISihQA8jLFuI"
    "QOl7HfvrL2eT6TFwLBO7t+T68+j08g/2z23ljmcue7ZidsxC4I3lurqRwNOV43rd1uBuep"
    "eWOlichpTP08REFKDdLiii+ILdfIE6FE3t0vYnQvmZC430BtNuFRqRkQLoSJ2RjqJbUGdE"
    "iK86bfIJT5tsM1z71MYz94tNZ9gU0l2J+8MiusvgLTVr07Qk3fXHAroAxgipTUlTAIkBog"
    "1eB5iUPiADmPiBn/SHCN/0X4MVshGwubeW5bka7VmFFEiwhA4LOCyHerZem2aJpKUmWm6+"
    "nF2OTo/BZi/+lpxd/nrMxu9cApKlYqVRVe98kE8JzNhy4dmoUo3iuMzTp1M9j8XdSpXiaG"
    "moAn9SSlWJro+/4sPy55n+8mG+6ch052AiWsWLFZ8RVoeJyhMqJeA+F0h/qPeFJySVlqXW"
    "smK4FcPdCTxlY7hliMdSBLf0BLciYJ+VgC2x01AnZW6PfQYZ5o1Gthka5ranCzZRLeimvZ"
    "jejjUZ7ma43WTrEhw3IgBuCoJEPLROPeIC6IDAffkpbLKNs4Q80pJnwCVS3BwR1d38AxTj"
    "LcGaOixgvC0HCyb+/OMQg/bqHMQy5yA+OJqlPULTE5ARBRgnxRTUZaDWF1hzvnrQRrUgF4"
    "sr6MtAv8SVj6qNi6jNG5X/WQnqbvLXKv9TsV3yeFjNMjMqA1SSDFBVdUeuqjsjZGN9MRAQ"
    "BsGdYeHpW1EbaY7dyjXphPOkwJgLVCLtMGrGkst3uHN5vvxEyZiIzIFl5SFOhJAdHB2VCC"
    "JjrXLDyPx7qYro7KOqgHDQvIfovnn9ugS6rFX+yQj8XsrZpsRFROCa5Ic2xURUYFmXKnL/"
    "/f8STVF+"
)
