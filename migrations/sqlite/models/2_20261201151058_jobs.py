from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "jobs" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "key_id" CHAR(36),
    "status" VARCHAR(16) NOT NULL /* QUEUED: queued\nRUNNING: running\nSUCCEEDED: succeeded\nFAILED: failed\nCANCELLED: cancelled */,
    "format" VARCHAR(8) NOT NULL /* CSV: csv\nJSONL: jsonl */,
    "filename" VARCHAR(255),
    "input_key" VARCHAR(128) NOT NULL,
    "input_bytes" BIGINT NOT NULL,
    "input_sha256" VARCHAR(64) NOT NULL,
    "chunk_rows" INT NOT NULL,
    "max_failed_rows" INT,
    "columns" JSON,
    "classes" JSON,
    "chunks_done" INT NOT NULL,
    "rows_done" INT NOT NULL,
    "rows_failed" INT NOT NULL,
    "bytes_done" BIGINT NOT NULL,
    "lines_done" INT NOT NULL,
    "row_errors" JSON NOT NULL,
    "error" TEXT,
    "attempts" INT NOT NULL,
    "lease_token" CHAR(36),
    "lease_expires_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "started_at" TIMESTAMP,
    "finished_at" TIMESTAMP,
    "model_id" CHAR(36) NOT NULL REFERENCES "models" ("id") ON DELETE CASCADE,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "version_id" CHAR(36) NOT NULL REFERENCES "model_versions" ("id") ON DELETE CASCADE
) /* One batch of rows predicted by one pinned version, in chunks, by whichever worker holds */;
CREATE INDEX IF NOT EXISTS "idx_jobs_lease_e_045721" ON "jobs" ("lease_expires_at");
CREATE INDEX IF NOT EXISTS "idx_jobs_created_7005f4" ON "jobs" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_jobs_user_id_260af5" ON "jobs" ("user_id", "created_at");
CREATE INDEX IF NOT EXISTS "idx_jobs_status_bc5fcb" ON "jobs" ("status", "lease_expires_at");
        CREATE TABLE IF NOT EXISTS "job_chunks" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "index" INT NOT NULL,
    "output_key" VARCHAR(128) NOT NULL,
    "rows" INT NOT NULL,
    "job_id" CHAR(36) NOT NULL REFERENCES "jobs" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_job_chunks_job_id_876d6d" UNIQUE ("job_id", "index")
) /* One committed chunk's output (JSON Lines in the artifact store); one row per index, so */;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "jobs";
        DROP TABLE IF EXISTS "job_chunks";"""


MODELS_STATE = (
    "eJztXWlz27bW/isYfbnJjNpxFNtJ3E5nZFtJdOul9ZK71B2aJiELNQWoJGXFt2/++wuAlL"
    "iBFEGRNsjiQ5uExAGp54AHZ8dfvRmxoeN9P5yjn+FT7wD81cPmDNK/pO70Qc+cz6Pr7IJv"
    "3jl8qDlHxgN84hfNO893Tcun1yem40F6yYae5aK5jwhmo4fAIfj+Owc9QhtYLrQh9pHpgA"
    "lxwdwl96458w7A7e3MezB+nC/uHGQZyP7J+NGDdLT/0+1tH3hTssSAYAt+zx5qE4s+FeH7"
    "Bua/wTf4HDtPwMTg8+nw6LvLz8PB3j4gE+BPIQiIwCv6++nj7ugwesl9hO53U+jYYA7nc+"
    "i+BsgDnk/oyxzQAbZJoTM9eIPtxWwOpsSxPYAJWHgMUUCn6tOn2XSkNYXWA7CI53v0bSB/"
    "AeCa9MEufTp9IxPMTc9bEtcGU9ObcjQWGP25gIZP7iEbSDH57Xd6GWEbfoXe6p/zB2OC6C"
    "smmI5sNgG/bvhPc37t+np8/JGPZEjfGRZxFjMcjZ4/+VOC18MXC2R/z2jYvXuIIX1daMeW"
    "A144TrhyVpeCN6YXfHcB169qRxdsODEXDltUvR8nC2yxtQT4k9j/dn8KXy02zDDOzq+My9"
    "GVYfQya5C9QmrZhJcsgtn6RdhnQP31LZg3AoRf7bEHHH0eXrx6u/+aQ0AZdO/ymxyu3jdO"
    "SNkckHLQI5TXiy4L9tHUdMVgJ4hSmNNXbgbtFVANQNubmV8NB+J7f0r/+XZQAPWX4UWA9o"
    "CjTah8CQTPWXhnwG8x0COQ+Z8S+K7G1wPt6kKEbSQNnx3c/d0S4O7v5oLLbiXBDaSewUSO"
    "DMYpMg11GagtwubIoPzPy/OzHJTXFCmAbWT54P+Agzy/KaBj4vlugRwfYe979ryXkNAMIT"
    "bzzPP+dOIwvzod/jvNgaOT88O0KGcTHKbYwdUfKoWlOJIg2oopoYRWZfE/N/pUfDBsDNPP"
    "wn9M7/hoBsUsSFKmeRCSfr/6SxvlEP2BNlNUw1VSwJqr8eno8mp4+kuCP8fDqxG7M+BXn1"
    "JXX+2neLaeBPxrfPUZsH+C/56fjdJsXI+7+m+PvZO58ImBydIw7ZjKsbq6Qi3Bdfh1juhs"
    "FbiepKyB6+35/lRi8gqTQi678JE8VPq2k5Sayypz2TE931h4lficptWcbgen0VzGSEjTVb"
    "ISFONr00YChcsV+hPynTcxkjo9OFmgn9OpUN1fw1xikwehu4YhlUX2I3Ehusc/wyeO75i+"
    "h4ktkQsh9KReh9O0EtHoavR811yuXYjx5UR/Ov3B0A++8+Hl0fB41OMA35nWw9J0bSOBNL"
    "tDBiR1ZT02e2s2mKWvmNi859iwX8HeOQT9Ak4on6dXVD/APYF7O3G/X+TkdoORhs+GlnR1"
    "n2MIQjrA6cCruyeAfA/c3v7ho9vb1z8AJum4p7nP/MmYjp87phX4ktlIb2FZ0POIm/V01z"
    "+9dh0rIIr6Ba5j5HmLSrpTglCbv6poUi0zf1Xjeku4XEpfrmgUaXuoJfz16DZLf76kmp6k"
    "0pp6oaYeglWDsn4ZzdRKXDfq68l1pZLKvoJeoK3HuJKvqIe/TEJFd8g9wgc8nWNizpDzxH"
    "IrfAAfofsEXOIz5qcUbZ79QcdwUnAHWcqJR++JlfS6H6DVdAXkUJGaruNUWlFXXVFXZLdX"
    "ick6TqW5nOIylVaeSKPMj19kKbsXwag/XY/7j6lCiAVfVT7WSaru4TzY2y8BNB2VizS/l4"
    "RaLhyng3A6CKeAaa+DcM0G4eI7XzrQlcT8MKT/+PMFdEwfCfe4nPBay2yVPNy/Nen/4EtU"
    "4PxYLd18zwdjfzm3Rz4C2rWggBzsF7gW4MxEjswGviboYNHITik1dKdAD90R7eKytSNxmu"
    "6h/KEMyB/yMf6QhnhVsiZdP5Ih7GAFyWBvr5TKv1eg8u+lEXeJk7OgR3gxy+hOSXs2pH0+"
    "rNfKngTavevL0cUBS3dxb/Dw+HR8dgBMe4Zw2iFfhgdvylhdb/KNrjdZm8sz6H6MHgVcOC"
    "QUYBPnpW3E6FIcuKOETbFgJW6ed1s8PD8/STiIDsdXKYyvTw9HFHsOPR2EAgV3fHalK0W0"
    "B763mNsVuZ6k1FxXhesCZ2349gJ9wpqa+L4S+3Om0D56ddieU2HAA+RVi0nixJrXqvE64w"
    "4s476KNyOp7riK2p60TMznuqwEqWhbYlRrjpR6IEUOtuoQnbI/ugrQSlF+hG4Nq4lD9SWY"
    "qrWidsNnR+1tUSsHqY+OzdHVFTWDszu6AqZoviVKV9CcnfLJugSVVNQhpiahGfILAD3H8I"
    "rQ/22GlYUgTtazdeQLlQzPDB1kBnpUulMav9EvbJTGhsAGQjS/BU9jE/O3+l3HbFSK2ehe"
    "VE2mXWifz9/Q57NqqSQjvuI0zabbqGLmb5RZ2c/o7kk2hylNuAW0auoMWyIb2keSsCapdH"
    "ZYYXbYWvvZMj2sa/Z6P5UgFpeA4gwxwcKtC9fyxr2aS3YjuslPdjO+keSsAeKSmY1qStjN"
    "mY3pTSaBLn0LcHZ9cvJSJYvc9Bs9Qv76YsMwuNvfaB0akA2UKF6ckUfIqgVZM2g2wQFYTg"
    "mYE4oltAHywcQlM3oNWVMQLlDgk+BCn/4BMe81vZw+iWsXa55f5xcqsJP2C2xVc+XGKGus"
    "rgm0tVrCWq1ST7RVHVG1DKym1mwS3r2dMgmcdFQuwPxemzN/njWvs53ugDKJP3SbJLLFN3"
    "EabbMmPyK2qRvVDFcBqUZX3ERcTedVO7wBcTypYKi2VjOEeqW2zc+ioiNAzs0SF5jP72tR"
    "c9luhFiwy+S4BMSCQgNdEuiMiCwBM9estE9rA7Jx/VMpd9bYhrM58SG2nnJOhUuN6Be5tV"
    "A0VuqUOMtBEPvfWVPiQcwOReMnuJnAhRR+3i+Lctvz+4Cfd2MzpxNrsGWZjgPd4Pw0DOgd"
    "lye1iM6Ja+AJwtyMVTkTn4b9hT5Kp2io5fZa86asW2ZN0EG3V/3tXR6gIMaRD244vIPQvh"
    "m8L1NbOHifX1zI7qWsdfp86M5dJNc9J0XWQbSb8N969H0lzcwEkc480Q5b7bBVuVlSS76h"
    "NnVLUtIAU/TMksA5JrC61l6zfGMrulR3gjl7F29uBstFJ5mrZ8EkGCSTab4m6lx8uf7WNT"
    "qTv0HdOv5aGYyv4FdfjHGKrAOruEjPG/37KqHiZY7VXat5J+dnn1bD02ftpuJn5r3Uecar"
    "8fp86WJWdP6EY20M6bY1musVS5gCg6MK15OUunGJOkzOftvzhVuxJVGcUPNYZR475N6YEw"
    "dZOUGOzU0WkzM8owo7oRNI6k69j9cnJ3QySnmDPw8vPx8A1o/zBp9ReCm7CQ5+n6Q9USYu"
    "kh8VycRE5i5k+ijLW7BMawoN33cMgZY7xjlmRf4EKfaE4ZN2fX70dekf3w3e7L7bff92f/"
    "c9HcLfc33lXQE/sv0WyRJLO3TjNNqjm7bJoDmTzWaMSBrNY2xHgmiBe5wvPO0f3+Qfj3+f"
    "m9MY2eqrAdOrcJo2rtLNyXTRFyqd8ZUq0dq2kdS6XU1HFm8yATFVSrklTOvizS5i9SLt21"
    "qJlO7ftgGgSGXeEqVf1hOdkPsuoSUVN46A/XNBfDMf0vId3Phn+utqtnaZLIWgysbXV6Iq"
    "L8weE2Ubou2J/pfNtXVb8G6G9IfFLlKBNNjb14F4xQLxi1XjyZKehoigkmdBNeFXt2uBWg"
    "z+IqclwWbPWkT9jF61OcQ2g0gO4d4vo7Pj8dmnAxDS3+CL0fD4PweABUGebvDH4fhkdMye"
    "iBxo32Dm/Bp/YVdM15qiR2hXcbzVf9qJ6fpoQqWgIZn2nabrYNZEI/nf4T4ggXRE0UGM68"
    "9M8dD/RCf3oPtcmb6i6JJE/zAYvH37brDzdv/93u67d3vvd9aiPXurSMYfjj8xMZ+AXyD3"
    "ycK1oDEh7kwUPStY3GnCDq7x+oW2B91H+nxZmZ0i6yLUjYjsELYKqztD2UXMG1veFUR5il"
    "KL9MoifeLSvyyJ+yCz4BNEHVzr9VdbrhHL73ZQAu44cffOf68f9RCjCpBnKTXem/GGno/o"
    "Dkhcw3JMT6pnoYC0g4KFWnglMKejCo6Sze6j5iO0jSXyBSf35meMJ6nUyBtnj+1M3riH7r"
    "HpL1yBblPAlTiRZkrtTEF4vvAN+NWczUXnL+czJkO4FXMU2xeemwtL08X0faQqXOI0anwY"
    "napy0ZVeL1TpNWOtjSypTyFGosaX0KktQpfeKcMK4qJ7hE2HPpGq0JKFvkLiDgiotEWxV8"
    "qi2CuwKPYyDbvJbM7imbKe5zRd92zmRjzPa9jYo8w7z7DRZJLF/aNDzJxtOHeGFAcmbIr2"
    "8aAA8uPz68OTEfjlYnQ0vhyHMmhdisRvskv0AgoSey9Gw5P0QVseNFYIChzRhDjQxDnVni"
    "nSFN53lLYpAbPK1HlevA/Pz08Scv5wnFZyrk8PR/QbeJ3EPet6vjN9a8pXrEuWMnVAWUJd"
    "/1ME79JEvjETIFwgUYTUWpqUkCbt6hfwvEu8naXjZRoGrHgnfVhjhlAXiiXtY6VPZlBFcH"
    "XqAAElctj7W50gEH3VNUBbW9N1FQvwMvJPl+F1sR5ITR1wy3IgyTKXoNJMUN+yLkHLL2yJ"
    "Kt0aK2jhLUp15YpSlSsOfBTtziVbmKyIVc6k6H0Zj/41ujgAjwguoXuDqfF1PD66OqeXQm"
    "lF6NXTIbVw6X9s5IyBTv8LdsWXT2TUFl8+9N21+LRhUrOlp3ID8nbYzdrMk1b4+luZecp1"
    "dVfRwlO0qTtvayNQxlftbvJ1cdYzpgFVXGveKmneL9tXfDPGz5cmXnvLdp1r9kK5ZtpQyV"
    "/z3TVUWhKaaonFUqBjq+n0V1LNrtPrH2lo1d3ZZc2alsCdyjBmzWy2BIhpxadw1RWnZcL9"
    "Rbz9McRyrIwIz2Jbw4hxsMw5veHwKZr3ATs+FwOEH5HPOcyOzCUYguUUORDc3v5BEOb7+u"
    "0tQB7/DaKDeeuYUhh9WPUo1cEH9Uwgl4hqpMrFHla0nQ093ODh8en47ACY9gxhNQIR/Jus"
    "pN8nKbV+3yb9fi1vZZmeINTnWah8nsXq+5S24TKE2oZTpKu/ahJSB/HUQLPAwfC8Df0VXa"
    "CVW/rrCF5jETzxVqW9YBtwzWzO0l6wJh0YyRRPgQ8jkwOa78aIHd3kkPvmg6extMZY6OJ3"
    "1qs71tMpfkv7Gl7W1wDpr/V8oeqQH3RNUqnsa6gYfG2gcW7rendXcOyc/3wAyMMNHl1cMG"
    "cOdF1SKVe05hPw+HtQNG2pzIIkVfdq6uvvQ4dlK4rxdpXEysmQmkuJHfrTsfUkW0OcJKtY"
    "PKwatg1XD/M+Y1L9ZyIK3ZJsy8ZwnsGOTZWRzSmy7gnn+hUQsvBll3iMRK/x6mu8Xelfin"
    "jrWhcqsEzHkfbBJoh0BwJd6NMkoKEHRhLSJJUOY+lyn2cv98ltJF8N1/KHs6q5ZDeim/xk"
    "c5zb2b1LpbiBiuGYxGatVMhguLCRP8K++9QTxAtid/tFwQKTjTMgHYiaaHmgkwxVcvxro+"
    "TvYJSYlrjaq+DkyTVFU5GGlyup2y0TV9jNDyzsZiILJktVlVSo4zTa5BPASX9hXvOVIkTX"
    "ZNobuNkbGEA2o5szkYr8pum6h3UDhwBzzOi2aVPdCpmyPo0ccm2Jp88PcKmuGeAhsaBTZC"
    "qH15VZ0CFmcjkjCaKGxMbLqRb1S+gQL+nNME3XQQndxGEAL+htVmtd1+m8J0ssHRLJUmpo"
    "k+qEbdObUqc8xki6Jw7qF70vlhT5N8PZhr6JBJtbfkZCRKHGsU+tP4ErE8t6GQc2j8v8ui"
    "C+2RM4sGN3+0UO7GDr+JMNLFm0H6XSA7oWfA/AR+g+gcDTD8iEF9jzacHMfALeHGIbrJza"
    "PwCT/w5wRxb0MvLoHPyv0M7W8jf6JO1tV2KPzve2z6kyM0N44Qts09zs2CSRPmsnmyDLEL"
    "JNQcFTIaYhhQY0C+hibleMCiUpdScDhcNEmU5FK95JV7lnCLVTUhmvQoWdVkk4C7KtouWX"
    "xVeXvCZLidNfag35KxvT3s4xvCL0f00nvamwsmtIeavPnGJr+QTNULhzpcyp2N1+kTnFy8"
    "+daODmFmg46MqE2ECfuP/wAKFWjotsuLJw2Jz0MuMuCKZe2zb8n8y2oSYMCNkk6InWzDO0"
    "BaWAqO8XWVBRJTu3n41qJlXxLNokEJkEDjHtAKkpWQiyRHPRFpFqiLXVpa0uoUqmra7ONc"
    "NSQTPVNlcnbS5xBy1Jk6tq/ywV1nXNB+BsZXD9k9z1BJYWu9wvMrH+IHclbSvKU8APh2dW"
    "DuuasWqVC21w98TtnjnCmP4rrP7pA4SBNV3gB6/PRiynyJqyoBNYEveB/jEl7JelEG/qOT"
    "eYWVwOND0IXt3e8r9Qa+sB4ttbsMA+csDqKvw6R1Qc8UbWr0saZ7/FmZ3uPBU1z0k/QLef"
    "emGr7gHKKj8RhdZ62t5hqkeHLqAtuWR7v16PrkfHByCgvsEX12dn47NPB8BdYExxvsGX10"
    "dHo9ExG+QtLAtCm437OByfsEsTEzns30fDs6PRCb9kMUwcJ3yXF0+wnRB3JjIGy7EyolY5"
    "m7l3dPmFAu893mCWjHJyAP7wCHaqMKDmdmETujxkjyGL03Qv9Wuwt1cCYjoqF2R+T9D6x6"
    "DyXAbnBJHKy1ul3OYAtLsnH4pOo0H3uQ68FGGXmrR9GAzevn032Hm7/35v9927vfc7ay9e"
    "9laRO+9w/Il59BLcyLr4AiS9qTnY25df7xFdB5d8/Xml3BqR7UWYJOrSUq/NT83YFihPsu"
    "AKKHUgIAtwAJhUj7YYie7RtkWPNsf0PNH2WIB8RKKR3wJ57joybIJlArkpqucT1zstESVM"
    "zMqCmqDRkAohDXYxWVAjKg1rGlZuXuQs1SLjJEnXGVyf2TBxEM5FPxf6JFFnoK9TUhi8fb"
    "yUQpGkUqPAjT2v1QVumXMAshy5gl9z1vmaoAsuvaLUmSZOvTd9H87moo7TuXIlTqKlSkZU"
    "R0FTmYhZikyHzUSoxmLCGWiLU/BE9M9yqKciqUSKp93xS0mDU3c+7FayZZnDenWKbde4Xi"
    "bF1vNNtxrXk5T6kGZ1mJz9tiesGmhaic0pUs1nlfmsUjGtumxtZZ58J+B84fM1ugNqUfmB"
    "audGq1l5IHNwtD6zpByoLTmzpK3wFhxaIi7YyJEQQWRYEEoK6T7+fAEdM6fJfVS3ccSm6R"
    "Dc35ps37bGS1wDs8aysBDGiDhXrhzGIrMZ8llhCqdknQD4gYXgFXP+gxMWpGLFKazyhFpz"
    "aEJnBJ5Pv7/XP/BCFpcswRy6gLOqDzzSS0Hc0GNusAlcyI5ZCedkHQkwr5mxyAKzRxEXLF"
    "32VDrvElkwrw7mN4Zcb7XcgnoW3bRAlfKWgCkZoAvybcPxOv1QEP8IPjvZjPEkVQfzZxtJ"
    "GZfM79RpswXrlu1tcvI2otD2YLE9GO5+W6rYYZ1uOwHdqFlHq0lWq25SZxxCF1lTkcYY3i"
    "nUF81ojDKH1OVv6yUz/0Lmbac3KS8Y89WlXJs5f3ePkXRwa2+k7o59VBIIh8M7iO6bnZ0y"
    "itPOTr7ixO6lSzio/YYFgaiiEo41yfMn/bW8kiCjGjznZvbt/wHU0zLw"
)
