from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
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
) /* When a model's inputs count as drifted; a model without a row uses the defaults. */;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "drift_thresholds";
        DROP TABLE IF EXISTS "drift_profiles";"""


MODELS_STATE = (
    "eJztXetz27aW/1cw+rLpjJJJHDtJ3U5n5FhptPUj15bbu/e6Q8MkJOGaAhg+rGi7/d8XoC"
    "iJD5AiKNIGGXxok5A4IPU74MF546/enFrI9l4NHPwbWvaOwV89AueI/SV1pw960HG21/kF"
    "H97b4VDoYOMBLcOL8N7zXWj67PoE2h5ilyzkmS52fEwJHz0ANiXTlzZ+RBYwXWQh4mNogw"
    "l1gePSqQvn3jG4u5t7D8bPTnBvY9PA1i/Gzx5io/1f7u76wJvRBQGUmOgVf6hFTfZUTKYN"
    "zH9LbsklsZcAEvD5fPDx5fXnwcHRO0AnwJ8hsCICL9jvZ4+7Z8PYJfcRuS9nyLaAgxwHuT"
    "8A7AHPp+xljtkACzLooIduiRXMHTCjtuUBQkHgcUQBm6rPnmaxkeYMmQ/ApJ7vsbdB4QsA"
    "F7IHu+zp7I0gcKDnLahrgRn0ZiEaAcFfA2T4dIr4QIbJv/9klzGx0Dfkrf/pPBgTzF4xwX"
    "Rs8QnC64a/dMJrNzej00/hSI70vWFSO5iT7Whn6c8o2QwPAmy94jT83hQRxF4XWbHlQALb"
    "jlbO+tLqjdkF3w3Q5lWt7QULTWBg80XV+3kSEJOvJRA+if/v8Jfo1WLDDOPicmxcD8eG0c"
    "usQf4KqWUTXTIp4esXE58D9dffq3m3gIRXe/wBHz8Prl68ffdDCAFj0NQNb4Zw9f4OCRmb"
    "V6Qh6FuUN4suC/bHGXTFYCeIUpizV24G7TVQDUDbm8Nvho3I1J+xf749KID698HVCu2DEG"
    "3K5MtK8FxEdw7CWxz0LcjhnxL4rsfXA+36whbbrTR8cnDfHZYA991hLrj8VhLcldQzuMiR"
    "wThFpqEuA7VJ+RwZlP/7+vIiB+UNRQpgC5s++D9gY89vCuiYeL4PsO1j4r3iz3sOCc0R4j"
    "PPPe+rHYf5xfngn2kOfDy7PEmLcj7BSYodofrDpLAURxJEezElktCqLP6nRp+JD46NAf0s"
    "/Kfsjo/nSMyCJGWaBxHpq/Vf2iiH2A+0uKIarZIC1oxH58Pr8eD8S4I/p4PxkN85CK8uU1"
    "dfvEvxbDMJ+GM0/gz4P8G/Li+GaTZuxo3/1ePvBAOfGoQuDGjFVI711TVqCa6jbw5ms1Xg"
    "epKyBq635/tTiclrTAq57KJH+lDp205Sai6rzGUber4ReJX4nKbVnG4Hp7EjYySk6SpZCY"
    "rxtWkjgcHlCv0J+c6bGEmdHpws0E/pVKjur+EuscmD0F3Dkcoi+4m6CE/Jb2gZ4jti7wGJ"
    "KXIhRJ7Um2iaViK6vbp9vgsXGxdifDmxn85+MPJX3/ng+uPgdNgLAb6H5sMCupaRQJrfoQ"
    "c0dWUzNntrfjBPX4EETkNs+K/g7xyBfoUmjM+zMdMPSE/g3k7c7xc5ud3VSMPnQ0u6ui8J"
    "AhEdCOnAi/slwL4H7u7+4+O7ux9+AlzShZ7mPvcnEzbesaG58iXzkV5gmsjzqJv1dNc/vX"
    "YdKyCK+gWuY+x5QSXdKUGozV9VNKmWmb+qcb0lXC6lL1c0irQ91BL+emybZT9fUk1PUmlN"
    "vVBTj8CqQVm/3s7USlx36uvJdaWSyr6GXqCtx7iSr6hHv0xCRbfpFJPjMJ1jAufYXvLcCh"
    "+gR+QugUt9zvyUoh1mf7AxISm4RzzlxGP3xEp63Q/QaroCcqhITddxKq2oq66oK7Lbq8Rk"
    "HafSXE5xmUkrT6RR5scvspTdi2DUn64X+o+ZQkgEX1U+1kmq7uF8cPSuBNBsVC7S4b0k1H"
    "LhOB2E00E4BUx7HYRrNggX3/nSga4k5icR/affrpANfSzc43LCay2zVfJw/7tJ/0e4RAXO"
    "j/XSzfd8cPaXc3vkI6BdCwrIwX6BawHNIbZlNvANQQeLRl6XUkNfF+ihr0W7uGztSJymey"
    "j/WAbkH/Mx/jEN8bpkTbp+JEPYwQqSg6OjUir/UYHKf5RG3KV2zoIekmCe0Z2S9mxE+3RY"
    "b5Q9CbR7N9fDq2Oe7uLeksHp+ejiGEBrjknaIV+GB2/KWF1v8o2uN1mbyzPYfowfBVw4oQ"
    "xgSPLSNmJ0KQ7cM8KmWLAWN0+7LZ5cXp4lHEQno3EK45vzkyHDPoSeDcIrBXd0MdaVItoD"
    "3wscqyLXk5Sa66pwXeCsjd5eoE+YM0imldifM4X20avD9pwKgzBAXrWYJE6sea0arzPuwD"
    "Luq3gzkuqOq23bk5aJ+VyXlSAVbU+Mas2RUg+krYOtOkTn/I+uArRWlB+RW8NqCqH6fTVV"
    "a0Xtjs+O2duiVg5SHx2fo6srao7m92wFzLCzJ0pjBOfn4WRdgkoq6hBTk/Ac+wWAXhI0pu"
    "x/u2HlIYizzWwd+UIlwzMDG8OVHpXulBbe6Bc2SuNDUAMhmn+vnsYnDt/qTx2zUSlmo3tR"
    "NZl2oX0+36HPZ91SSUZ8xWmaTbdRxczfKbOyn9H9UjaHKU24B7Rq6gx7IhvZR5KwJql0dl"
    "hhdthG+9kzPaxr9no/lSAWl4DiDDHBwq0L1/LGvZpLdie6yU92N75byVkDxCUzG9WUsLsz"
    "G9ObTAJd9hbg4ubs7LlKFkPTb/iIwtcXG4aru/2d1qGB+ECJ4sU5fUS8WpA3g+YTHIPFjA"
    "KHMiyRBbAPJi6ds2vYnIFogQKfri702R+IhL2mF7OluHax5vl1fqECO2m/wFaFazdGWWN1"
    "Q6Ct1RLWapV6or3qiKplYDW1ZpPwHr0uk8DJRuUCHN5rc+bPk+Z1ttMdUCbxh22TVLb4Jk"
    "6jbdbkR8Q3daOa4Sog1eiKm4ir6bxqhzcgjicTDNXWaoZQr9S2+VlUdATIuVniAvPpfS1q"
    "LtudEAt2mRyXgFhQaKBLAp0RkSVgDjUr7dPagWxc/1TKnTWy0NyhPiLmMudUuNSIfpFbC2"
    "/HSp0SZ9oYEf+lOaMeIvxQtPAENwhcxOAP+2Uxbnt+H4Tn3Vjc6cQbbJnQtpG7Oj+NAHbH"
    "DZNaROfENfAEYW7GupwpnIb/hT1Kp2io5fba8KasW2ZD0EG3V/3tXR6QIMaRD240vIPQvj"
    "n4UKa28OBDfnEhv5ey1tnzkeu4WK57Toqsg2g34b/12PtKmpkJIp15oh222mGrcrOklnxD"
    "beqWpKQBpuiZJSvnmMDq2njN8o2t7aW6E8z5u3gOXC0XnWSungWTYJBMpvmGqHPx5fpb1+"
    "hM/gZ16/hrZTAeo2++GOMUWQdWcZGeN/znOKHiZY7V3ah5Z5cXv66Hp8/aTcXP4FTqPOP1"
    "eH2+dDErOn/CsTaGdNsazfWKJUwrg6MK15OUunGJOkzOfttO4FZsSRQn1DxWmcc2nRoOtb"
    "GZE+TY3WQxOcMTqrATNoGk7tT7dHN2xiZjlLfk8+D68zHg/ThvyQWDl7GbktXvk7QnysRF"
    "8qMimZiI4yKuj/K8BROaM2T4vm0ItNwRyTEr8idIsScKn7Tr82Ovy/54efDm8P3hh7fvDj"
    "+wIeF7bq68L+BHtt8iXRBph26cRnt00zYZgnPZbMYtSaN5jO1IEC1wj4cLT/vHd/nH49/n"
    "7jRGvvpqwHQcTdPGVbo7mW77hUpnfKVKtPZtJLVpV9ORxZtMQEyVUu4J06Z4s4tYPUv7tl"
    "Yipfu37QBoqzLvidKXzURndNpVtCwXT3zDcekE2/suq1M+15fVVF3CSyrOvoX2a0B9mI9o"
    "+Y53oVj7x3q2dpl4EovQn/FjmijHsQbQwsU4TkzZEeSqZHKsN8W8hI7YprkjryPRabW5Bo"
    "JB2DeT/bDYRbb1HRy90ykfiqV8BOsWpyV9WluCSj4s1baNup1YzDb1g5zmF7t9uFvqJ/Tf"
    "OohYHCI5hHtfhheno4tfj0FEf0uuhoPT/zkGPNy2vCWfBqOz4Sl/IlMorFvC3ayj3/kV6J"
    "oz/IisKi7e+s/Vga6PJ0wKGpIFBmm6DubnNFJpEO0DEkhvKTqIcf05UB7+X9EZUXiaK9PX"
    "FF2S6D8eHLx9+/7g9dt3H44O378/+vB6I9qzt4pk/MnoVy7mE/AL5D4NXBMZE+rORXHags"
    "WdJuzgGq9faHvIfWTPl5XZKbIuQt2IyI5gq7C6M5RdxLyx5V1BlKcotUivLNInLvvLgroP"
    "Mgs+QdTBtV5/Xe8Gsfy+GiXgjhNXgl0x/1HTqEcYVYA8S6nx3o038nzMdkDqGqYNPanumA"
    "LSDgoWZuGVwJyNKji0OLuPwkdkGQvsC86Izq9NSFKpUaHAH9uZCgUPTwn0A1eg2xRwJU6k"
    "mVI7UzBxAt9A3+DcsaUYkyHcizmK7QtPzYUFdAl7H6laqjiNGh9Gp+qpdE3hM9UUznkTLV"
    "PqU4iRqPEldGqL0EWeyrCCuniKCbQNnq4jW1IuJO6AgEpbFEelLIqjAoviKNMans4dHs+U"
    "9Tyn6bpnMzfied7Axh8F7z3DwpNJFvdPNoU523DuDCkOTPgU7eNBAeSnlzcnZ0Pw5Wr4cX"
    "Q9imTQpugtvMkvsQt4lUJ+NRycpY9085CxRlDgiKbURpDk1BWnSFN43zPapgTMOlPnafE+"
    "ubw8S8j5k1Faybk5Pxmyb+CHJO5Z1/M99M1ZuGJdupCpOMsS6kqzIngXEPvGXIBwgUQRUm"
    "tpUkKatKszxdMu8XY2KSjTmmLNO+ljQTOEuiQxaR8rfQaIKoKrU0dVKJHD3t/rrIrtV10D"
    "tLW191ex1DMj/3TBZxcrz9TUAWsrpErUqOUjK1kbVL5QrU3wShQGrapABRVBm/LQ/FKgbR"
    "VqYyVAYftgXeujVK2PjR5F+kzJ9kJrYpVzT3q/j4Z/DK+OwSNGC+TeEmauno4+ji/ZpUi+"
    "U3b1fDC6GLP/+Mg5B539t9Ijnj/1U9vI+dB310bWplzNtrHKhwO0w9OgDWNpHa6/l2Gs3I"
    "kLKtrEih64ELacEijj61ZU+bo47+fUgCquNW+VNO/n7fm/G+OnS6yv/TgFnZ33TNl52lDJ"
    "X/PdNVRaEsxricVSoGOrGSZRUs2uM06y1dCqBwDKmjUtgTuVk83b/+wJENeKz9G6j1DLhH"
    "s98ZEK9kWEWI6VscWz2NYwYhwsc4Z2NHyGnT7gR1sTgMkj9kMO8+OsKUFgMcM2And3/6GY"
    "hPv63R3AXvgbRIdm1zGlMPqw7h+sgw/qmUAuFUX/ysUe1rSdDT3cksHp+ejiGEBrjokagY"
    "jwm6yk3ycptX7fJv1+I29lmZ4g1GfNqHzWzPr7lLbhMoTahlPkxA3VJKQO4qmBZoGD4WkP"
    "21B0gVY+bkNH8BqL4Im3Ku0F24FrZnOW9oI16cBIJsUKfBiZrNl8N0bsWDWbTpsPnsbSGm"
    "Ohiz95d/NYF6z4Le1reF5fA2K/1vOFqkN+0DVJpbKvoWLwtYFWw63rdl7BsXP52zGgD7dk"
    "eHXFnTnIdWmlXNGaT6cM34OhaUllFiSputeFoP7OfUS2BpvsV3utnAypufjaZj+dmEvZqu"
    "skWcVya9WwbbjeOuzMJtWxZ0uhm7jt2UrPM/iRxjKyOUXWPeFcvwJCA192icdI9Bqvvsbb"
    "lf6liLeudaECE9q2tA82QaR7NuhCnyYBjTwwkpAmqXQYS5f7PHm5T27r/Wq4lj84Wc0lux"
    "Pd5Ceb49zO7l0qxQ1UDMckNmulQgaDwML+kPjusieIF8Tu9ouCBZCPMxAbiJtoeaCTDFVy"
    "/Guj5HswSqAprvYqOKtzQ9FUpOH5SuoOy8QVDvMDC4eZyALkqaqSCnWcRpt8AjjZL8xrvl"
    "KE6IZMewN3ewNXkM3Z5kylIr9puu5h3cCxySFmbNu0mG6FoaxPI4dcW+LpExdcpmuu8JBY"
    "0CkylcPryizoCDO5nJEEUUNi4/lUi/oldISX9GaYpuughG7i+IRn9Darta7rdN7TBZEOiW"
    "QpNbRJdcKy2E2pczFjJN0TB/WL3mdLivzOcLaQD7Fgc8vPSNhSqHFQVuvPLMvEsp7HgR3G"
    "Zf4RUB/2BA7s2N1+kQN7tXV85QNLFu1vU+kBWwu+B9Ajcpdg5ekHdBIW2IfTgjlcAs9BxA"
    "Jrp/ZPAIa/A9zTgF3GHpsj/CuysrX8jT5Je9uV2KPzve0OU2bmmAS+wDbNzY5NEunTibIJ"
    "shwhCwoKngoxjSg0oFlAA8eqGBVKUupOBgqHiTKdita8k65yzxBqp6QyXoUKO62ScBZkW2"
    "2XXxZfXfKaLCVOf6k15K/sTHtbH1TSdNKbCiu7hpS3+swpvpbP8BxHO1fKnIrd7ReZU2H5"
    "ub0duLsFGll1ZcJ8oE/d//IAZVaOiy20tnD4nOwy5y5YTb2xbcJ/ctuGmTAgYpOgJ1ozz9"
    "AWlAKivl9kQW0r2UP72ahmUhXPok0CkUlgU2itkJrRQJAlmou2iFRDrK0ubXUJVTJtdXWu"
    "GZYKmqm2uTppc4k7aEmaXFX7Z6mwrms+AGcvgytx0KbA5EofxJlvdCXOAC1pd/0xgz6zcK"
    "KyH2b6rMrjASQWiJ3VCmxKH5DFjKAH3jUaEW4FLcECuQi4eDoTWFu1zqxtLAVEe7/AxvKY"
    "jm5Wbj29pVY5ibJ38+XscnB6DFbGyS05u/z1mK3faXrtl0mJqLlPkWT3HN07p5dvU00Q9A"
    "NXdIx3fnZJnObp80ueRxNspOPFdmuQgT9JpTuOfC8dR7RDYbdDoUxD+lB1ZLzzMBHt4sWM"
    "zxDrxvTq+I6yvDZnyHyo9oUnKDWXleayPkLuO0jM6EJRwjP3FlLSQVWv41XB1kIqOv3kOg"
    "vpoyOf8OjIIm92bounKjlE5Rs8KSk39unv1JRvezxjgmpGV+PF7u3YkP5uD7efHF3Cx40I"
    "gKsKia0f2qQB8QH0QGS+/LQeAhaYLY+AO69duuApQYmcH0/k6q7/AdrjrcCe2i/weDseFg"
    "j+/Nba0XjdU7tMT+0Hz3CMR2gHAmdEAcZJMg11GajNGTa8rwF0USXIxeQa+jLQz7H0sQdx"
    "Eh280QlxUlC303+tE+K0t0sdC0unxHUyJU6XIalVhjRALjZnPVFL4tWdfmE74u0YZfoQ56"
    "p0QjkpUOYilii7jOrR5PIN7lw/X35fnRiJyoll5SFOpJAdHB2VSCJjo3LTyMJ7qRZR7KOS"
    "QDga3kF037x+XQJdNiq/VRy/lzK2KfEREZgm+alNMRKdWNamFkV//z/QwnPq"
)
