from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
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
        ALTER TABLE "alias_events" ADD "traffic" JSON;
        ALTER TABLE "prediction_logs" ADD "shadow" INT NOT NULL DEFAULT 0;
        ALTER TABLE "prediction_logs" ADD "agreed_rows" INT;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "alias_events" DROP COLUMN "traffic";
        ALTER TABLE "prediction_logs" DROP COLUMN "shadow";
        ALTER TABLE "prediction_logs" DROP COLUMN "agreed_rows";
        DROP TABLE IF EXISTS "traffic_routes";"""


MODELS_STATE = (
    "eJztXW1z27ay/isYfbnpjJJxHNtJ3U5n5FhpdOqX1Jbbc89xh4ZJSMIxBbB8saLT2/9+AY"
    "iU+C6SImWQwYfENogFyWfBxe5id/FXb04NZDpvBhb+BS17p+CvHoFzxH6JXemDHrSsTTtv"
    "cOGjKbpCC2tPaCka4aPj2lB3WfsEmg5iTQZydBtbLqaE9x4Ak5LpaxM/IwPoNjIQcTE0wY"
    "TawLLp1IZz5xQ8PMydJ+1Hy3s0sa5h4yftRwex3u5PDw994MzoggBKdPSG39SgOrsrJtMG"
    "xr8n9+SamEsACfh8Ofj4+vbz4PD4BNAJcGcIrIjAK/b+7HaPrBtrsp+R/XqGTANYyLKQ/R"
    "3ADnBcyh7mlHUwIIMOOuieGN7cAjNqGg4gFHgORxSwofrsbgbrqc+Q/gR06rgOexokHgDY"
    "kN3YZndnTwSBBR1nQW0DzKAzE2h4BP/pIc2lU8Q7Mkz+/QdrxsRAX5ET/Gk9aRPMHjHCdG"
    "zwAUS75i4t0XZ3Nzr/JHpypB81nZrenGx6W0t3Rsm6u+dh4w2n4demiCD2uMgITQfimaY/"
    "c4Km1ROzBtf20PpRjU2DgSbQM/mk6v048YjO5xIQd+L/Hf3kP1qom6ZdXY+12+FY03qJOc"
    "gfITZt/CadEj5/MXE5UH/9vRp3A4ho7fEbfPw8uHn17uQ7AQFj0NQWFwVcvb8FIWPzilSA"
    "vkF5PemSYH+cQTsd7AhRDHP2yM2gHQDVALS9OfyqmYhM3Rn7891hDtS/DW5WaB8KtCmTLy"
    "vBc+VfORSXOOgbkMXPEvgG/euBNmjYYLuRhnsH9+SoALgnR5ng8ktRcFdST+MipwzGMTIF"
    "dRGodcrHSKD8j9vrqwyU1xQxgA2su+D/gIkdtymgQ+L50cOmi4nzht/vJSQ0R4iPPHecP8"
    "0wzK8uB/+Mc+DjxfVZXJTzAc5i7BDqD5PCpTgSIdqJKb6ElmXy7xt9Jj44Nhp0k/Cfsysu"
    "nqN0FkQp4zzwSd8Ev7RRDrEXNLii6s+SHNaMR5fD2/Hg8kuEP+eD8ZBfORSty1jrq5MYz9"
    "aDgN9H48+A/wn+dX01jLNx3W/8rx5/Jui5VCN0oUEjpHIErQFqEa6jrxZmo1XgepSyBq63"
    "5/uTickBJrlcttEzfar0bUcpFZdl5rIJHVfznEp8jtMqTreD09gqYyTE6SpZCZLxtWkjgc"
    "Flp/oTsp03IZI6PThJoPfpVKjur+EusclTqruGI5VE9hO1EZ6SX9BS4DtizwGJnuZC8D2p"
    "d/4wrUR007q5vw0XaxdieDqxV2cvjNzVdz64/Tg4H/YEwI9Qf1pA29AiSPMr9JDGWtZ9k5"
    "fmh/N4CyRwKrDhb8Gf2Qf9Bk0Yn2djph+QXop7O3K9n+fktlc9NZd3LejqviYI+HRA0IFX"
    "j0uAXQc8PPzHxQ8P3/0AuKQTnuY+9ycT1t8yob7yJfOejqfryHGonfR01z+8ch1LIIr6Oa"
    "5j7DheJd0pQqjMX1k0qZaZv7JxvSVcLqQvVzSKlD3UEv46bJllr19STY9SKU09V1P3wapB"
    "Wb/djNRKXLfq69F5JZPKHkCfoq2HuJKtqPtvVkJFN+kUk1MRzjGBc2wueWyFC9AzspfApi"
    "5nfkzRFtEfrI8gBY+Ih5w47Fq6kl73DZSaLoEcylPT1T6VUtRlV9QlWe1lYrLap1JcjnGZ"
    "SSsnTaPM3r9IUnZvB6P+cD3hP2YKIUn5qrKxjlJ1D+fD45MCQLNemUiLa1Goy23HqU04tQ"
    "kngWmvNuGa3YQLr3zxja4o5mc+/adfbpAJXZy6xmVsr7XMVsnC/e8m/R9iiqY4P4Kpm+35"
    "4Owv5vbIRkC5FiSQg/0c1wKaQ2yWWcDXBB1MGjkopIYe5OihB2mreNnckTBN91D+vgjI32"
    "dj/H0c4iBlrXT+SIKwgxkkh8fHhVT+4xyV/ziOuE3NjAk9JN48oTtF7Vmfdn9Yr5W9Emj3"
    "7m6HN6c83MW+J4Pzy9HVKYDGHJO4Q74ID94WsbreZhtdb5M2l6Ox9Rg/p3DhjDKAIckK2w"
    "jRxTjwyAibYkEgbva7LJ5dX19EHERno3EM47vLsyHDXkDPOuGVgju6GqtMEeWB73mWUZHr"
    "UUrFdVm4nuKs9Z8+RZ/QZ5BMK7E/Ywjlo5eH7RkZBmKDvGoySZhY8Vo2XifcgUXcV+FiJN"
    "UdV5uyJy0T85kuq5RQtB0xqjVGSj6QNg626hBd8h9dBShQlJ+RXcNsElD9thqqtaJ2y2fH"
    "7O20Ug6lPjo+Rldn1BzNH9kMmGFrR5TGCM4vxWBdgqrUrkNITcJz7OYAek3QmLL/tsPKty"
    "Au1qN15AstuT0zMDFc6VHxSmniQj+3UBrvghrYovn36m58YPFUf6g9G5n2bFQtqibDLpTP"
    "5xv0+QQllcqIrzBNs+E2spj5W2VW8jN6XJaNYYoT7gCtnDrDjsj69lFJWKNUKjosNzpsrf"
    "3sGB7WNXu9HwsQC0vA9AixlIlbF67FjXs5p+xWdKOf7HZ8N5KzBogLRjbKKWG3RzbGF5kI"
    "uuwpwNXdxcVLpSwK02/4jMTjpxuGq6v9rdahhnjHEsmLc/qMeLYgLwbNBzgFixkFFmVYIg"
    "NgF0xsOmdtWJ8Bf4ICl64a+uwHIqLW9GK2TM9drHl8FV8owUraz7FVYeDGKGqsrgmUtVrA"
    "Wq2ST7RTHlG1CKym5mwU3uODIgGcrFcmwOJaFGF2t8kE60mIs+vzhkhUdd5vpTrvXiNq2+"
    "mIKRJyxRQUWjbtKUyjvAXRj4irU1o1l0EKqUI3vXy7nG7DdvhhIostrThXE4RqprbNwyWj"
    "C6acgyssMPfv5ZJz2m6FOGWVyXDGpAsKBXRBoBMisgDMQrNS3sQtyIb1T6kciSMDzS3qIq"
    "IvM87ji/Xo5zkU8aZvqfP5dBMj4r7WZ9RBhB9HJ87Og8BGDH5RqYxx23H7QJw0ZHB3Hy9t"
    "pkPTRPbq5DoC2BVbhBOlndDXwB1So2KCRDIxDP+F3UoFx8jlcFzzpqhDbE3QQYdj/YV1nl"
    "DK7lI2uH73DkL79vBDkazOww/ZaZ38WsxaZ/dHtmXjcnWLYmQdRLsJz7nDnrekmRkhUjE/"
    "ymGrHLYyl6lqyTeU46eRrk6VlAaYpKfFrJxjKVbX2muWbWxtmuoO7efP4lhwNV1UeL98Fk"
    "yEQWVi/NdEndvZr79okMqhaFC3Dj9WAuMx+uqmYxwj68AsztPzhv8cR1S8RMjEWs27uL76"
    "Oegej6OI7Z/BaamTpIP+6mTvfFao6BVlDKmCQd8i14skj60Mjipcj1KqkjHyMDn5bVueXb"
    "EYVJhQ8VhmHpt0qlnUxHrGJsf28pbREfaowk7YACV1p96nu4sLNhijvCefB7efTwGvhHpP"
    "rhi8jN2UrN6vpD1RZF8ke1cksSdi2YjrozxuQYf6DGmua2opWu6IZJgV2QPE2ONvn7Tr82"
    "OPy368Pnx79P7ow7uTow+si3jOdcv7HH4kK13SBSnt0A3TKI9u3CZDcF42mnFD0mgcYzsC"
    "RHPc42LiKf/4Nv94+PvcHsbIZ18NmI79Ydo4S7cH022+0NIRX7HkuF1LeK0LBXVk8kYDEG"
    "NJrDvCtE6b7SJWL1I4r5VIqcp5WwDaqMw7ovRlPdAFnXYVLT/fU7Op5+46rcarsW74UF3C"
    "q9Q++wbaPz3qwmxEi9caFGLt12C0dpl4uaCWjUcIRHtWWEJI9G+JTohUam2uAKEn6m6yFw"
    "s1MgF+eHyiAhckC1zwghKpBT0zG4JKnhjZhF/drhhmYbleRvGM7Z7IDfUevZAWIgaHqBzC"
    "vS/Dq/PR1c+nwKe/JzfDwfn/ngK+abS8J58Go4vhOb8jNpFxT7izcPQbb4G2PsPPyKjiqK"
    "z/XB5ou3jCpKBWMkw+TtfBKJNG4uX9daAE0huKDmJcfySPg/+bdsYUnmbK9ICiSxL9+8PD"
    "d+/eHx68O/lwfPT+/fGHg7VoT17Kk/Fno5+5mI/AnyL3qWfrSJtQe56225gzueOEHZzj9Q"
    "ttB9nP7P5lZXaMrItQNyKyfdgqzO4EZRcxb2x6VxDlMUol0iuL9InNfllQ+6nMhI8QdXCu"
    "15+dukYsuzpEAbjDxJVgl8x/1DTqPkYVIE9SKry3440cF7MVkNqabkKnVHXNFNIOChZm4R"
    "XAnPXKOfQ4uY7CZ2RoC+ymnDGdHWEfpZIjzp7ftjNx9g6eEuh6dopuk8OVMJFiSu1MwcTy"
    "XA19hXPLLMWYBKEqoFqdCwtoE/Y8pTKCwjRyfBidygpSmXEvlBk356Wg9FKfQohEji+hU0"
    "uESlWUhhXUxlNMoMnuyFTokonRqcQdEFBxi+K4kEVxnGNRHMctCp3OLb6fWdbzHKfrns3c"
    "iOd5DRu/FXx0NANPJkncP5kUZizDmSPEODDhQ7SPBzmQn1/fnV0MwZeb4cfR7ciXQevULX"
    "GRN7EGvAqEvhkOLuJHwjlICxBMcURTaiJIMrJjY6QxvB8ZbVMCJojU2S/eZ9fXFxE5fzaK"
    "Kzl3l2dD9g18F8U96Xp+hK4+EzPWposyeVNJQpUvlQfvAmJXm6cgnCNRUqmVNCkgTdpVX2"
    "G/U7ydqfZFCiwEvCt9rGiCUCXWRe1jqU+ykEVwderABSli2Ps7nbiw+aprgLa2IvUyJiwm"
    "5J9KW+xi/pScOuCO6UAl01xWmXkp+S3rlL3sxJZNZmBjCS2ipKvKXJEqc8VEz2mrc8GSLw"
    "GxzJEUvd9Gw9+HN6fgGaMFsu8JM77ORx/H16zJl1aUtV4OmIXL/vGecw46+7daFV8+kFFZ"
    "fNnQd9fiU4ZJzZaezAXb22E3KzOvtMLX38nMk64KvowWnqRF8EUZoBRlPCgPlK2L8xo7Da"
    "jiSvOWSfN+2Trs2zHeX5h47SXuVazZC8WaKUMle85311BpydZUSyyWHB1bTqe/lGp2nV7/"
    "jYZW3Z1d1KxpCdyxCGNezGbX8l9M571EQVWclgn3F/H2hxDLsDI2eObbGlqIg0XONfa7z7"
    "DVB/y4YQIwecau4DA/YpgSBBYzbCLw8PAfiolY1x8eAHbEO6QdZFzHkKm7D0FNV7X5IJ8J"
    "ZNO0HKliew8BbWe3Hu7J4PxydHUKoDHHRI6NCPFNVtLvo5RKv2+Tfr+Wt2WZHiFU53/IfP"
    "5H8H2WtuEShMqGk+QUBNkkpNrEkwPNHAfDfg9AkHSCVj4CQe3gNbaDl75UKS/YFlwTi3Np"
    "L1iTDoxoiGeKDyMRA5rtxggddWXSafObp6GwxtDWxR+8VneoplP4kvI1vKyvAbG3ddxU1S"
    "F70zVKJbOvoeLmawOFc1tXu7uCY+f6l1NAn+7J8OaGO3OQbdNKsaI1nxgonoOhaZSKLIhS"
    "dS+nvv46dKRsRjHZLZNYOhlScyqxyV6d6MuyOcRRsorJw7Jh23D2sKgzVqr+zIZClSTbsT"
    "Cco/FjZsvI5hhZ94Rz/QoI9dyyUzxEoub4DhUpZ9CgiyTwuRVONkR7rG2ybmltcRPIGMEs"
    "y5J6SIxKlTVJAtuuGEZJXM6t2+/SoWmW3kiIEKkyGipbrUlAfTdiSUijVGovVuWs7T1nLf"
    "M0hGq4Fj+RWc4puxXd6CebsUOTXLtk2vyScU8xslhLte818AzsDolrL3spm16hq/28HS/I"
    "+2mIdcRN1O1QkbIy7V4po+RbMEqgnp6ymHN86pqiqe2yl8sLPSqyOXaUvTt2lNgegzzeuq"
    "RCHaZRJl8KnOwNsyoI5SG6JlMu7e0u7RVkc7Y401LhC3G67mHdwEnWAjO2bBpMt8KwrE8j"
    "g1xZ4vFDMGyma67wKDGhY2Qyx4hIM6F9zMoFPkWIGhIbL6da1C+hfbxKL4Zxug5K6CZOtH"
    "hBb7Nc87pO5z1dkNJbIklKBW1UnTAMdrHUUaUhku6Jg/pF74tF9n5jOBvIhThlccsOq9lQ"
    "yHF2WeuPkUvsZb2MA1vsy/zqURf2UhzYoav9PAf2aun4k3csWHlikw8C2FxwHYCekb0EK0"
    "8/oBNRJUIMC+ZwCRwLEQMETu0fABTvAR6px5qxw8YQvyIjWZCi0Tspb7sUa3S2t91iyswc"
    "E89NsU0zQ6uiRCqyKhlZxREyYErWXi6mPoUCNAmoZxkVd4WilKoch8TbRIlyWwHvSpdqSB"
    "Aqp6Q0XoUKK62UcOZEW22mXxJflbcdzYePf6k1xK9sDXu7JmhM2X9NB73JMLNrCHmrz5zi"
    "c/kCz7G/csXMqdDVfp45JWoomJuO2+v4kVVpMcw7utT+HwdQZuXY2ECBhcPHZM2cu2A19N"
    "q2EX9y24aZMMBnU0phv2buoSwoCUR9P8+C2pRjEPazVs2kyh9FmQRpJoFJobFCaka9lCjR"
    "TLTTSBXEyupSVleqSqasrs5VdJNBM1U2VydtrvQycCVNrqpF4GSY1zWf4rRb5XQbTiZYv6"
    "GeuEWydnr4ej+3evqqp2bzrgXtLsZv4Of8MLvHgjYzcQiveC5OF2ZN/qDAoibWlz+sL4EF"
    "ZrPCcwFP3wYz1kCYAZU0upq4Qf7JrjA40jjI/VKF1qUyx9b8KRyCEhB0MMKygQiUrtexv/"
    "1yMRqfAscysXtPbj8Pzq9/Z3+uK3e8cNmzBdNjZinWWKapuyHYXzmug6Ymd927tNTB6WlI"
    "2X6aEIkCtN0FRZS/YLu/QB2KpnZpuxOh/MKFRjqDabsKjcjoAmhJnZGWoptTZyQVX3Xa5B"
    "5Pm2y03giysT7rpdUaWV3p59YZ2fSRpsBIpiWSuhql2CA+E6V1mtZjg2Q7hDJlZ7ZLKEQi"
    "s6+iolPo8Pi4gE+C9cr0Sohrsdwv9lGVQNjv3kF03x4cFMkBPTjIzgHl12J2NSUuIilGdX"
    "ZCUohk/xlJL6O0diP36O//B0MrcxY="
)
