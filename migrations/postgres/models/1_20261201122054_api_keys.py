from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
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
COMMENT ON TABLE "api_keys" IS 'A long-lived credential for programs: ``msk_<public_id>_<secret>``, shown once.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "api_keys";"""


MODELS_STATE = (
    "eJztXW1z2zYS/isYfUpmlIyj2E7i63RGtpVGF79kbDntte7QEAlJOFMAS1JSdL389wMgSu"
    "K7SIpUQB4+tElALAg9Cy52F7uLv1tTaiDTed218Ge0bJ2Bv1sEThH7S+hJG7SgZW3beYML"
    "h6boCi2sPaOlaIRDx7Wh7rL2ETQdxJoM5Og2tlxMCe/dBSYl41cmniMD6DYyEHExNMGI2s"
    "Cy6diGU+cMPD1NnWftJ2s2NLGuYeNn7ScHsd7uz09PbeBM6IIASnT0mr/UoDp7KybjCsZ/"
    "JI/klphLAAn4dN29eHX/qds5OQV0BNwJAisi8IL9fva6IevGmuw5sl9NkGkAC1kWsl8C7A"
    "DHpWwyZ6yDARl00EGPxJhNLTChpuEAQsHM4YgCNlSbvc1gPfUJ0p+BTh3XYbNBYgLAhuzF"
    "Nns7mxEEFnScBbUNMIHORKAxI/ivGdJcOka8I8Pkjz9ZMyYG+oac9T+tZ22E2RQDTMcGH0"
    "C0a+7SEm0PD/3Lj6InR3qo6dScTcm2t7V0J5Rsus9m2HjNafizMSKITRcZvuVAZqbprZx1"
    "02rGrMG1Z2gzVWPbYKARnJl8UbV+Gs2IztcSEG/i/zv+2Zuar5um3dwOtPveQNNakTXIpx"
    "BaNl6TTglfv5i4HKi/v6/G3QIiWlv8BRefuncv3p6+FBAwBo1t8VDA1fouCBmbV6QC9C3K"
    "m0UXBftiAu14sANEIczZlKtBew1UBdC2pvCbZiIydifsn287KVB/7d6t0O4ItCmTLyvBc+"
    "M96YhHHPQtyOLPHPiu+5cD7bphi+1WGh4c3NPjDOCeHieCyx8FwV1JPY2LnDwYh8gU1Fmg"
    "1ikfI4LyP+9vbxJQ3lCEADaw7oL/AhM7blVA+8TzcIZNFxPnNX/fj5DQHCE+8tRx/jL9ML"
    "+47v4W5sDF1e15WJTzAc5D7BDqD5PCuTgSINqLKZ6ElmXxHxp9Jj44Nhp0o/BfsicunqJ4"
    "FgQpwzzwSF+v/1JHOcR+oMEVVW+VpLBm0L/u3Q+6118C/LnsDnr8SUe0LkOtL05DPNsMAn"
    "7tDz4B/k/w++1NL8zGTb/B7y0+JzhzqUboQoOGT+VYt65RC3AdfbMwG60A14OUJXC9Pt+f"
    "TExeY5LKZRvN6XOhbztIqbgsM5dN6LjazCnE5zCt4nQ9OI2tPEZCmK6QlSAZX6s2Ehhcdq"
    "w/Idl54yMp04MTBfqQToXi/hruEhs9x7prOFJRZD9SG+Ex+YyWAt8+mwckepwLwfOkPnjD"
    "1BLRbev2/TZcbFyI/uXEfjr7wchdfefd+4vuZa8lAB5C/XkBbUMLIM2f0A4NtWz6Rh9NO9"
    "NwCyRwLLDhv4LP2QP9Do0YnycDph+QVox7O/C8nebktlc9NZd3zejqviUIeHRA0IEXwyXA"
    "rgOenv7t4qenl/8AXNIJT3Ob+5MJ62+ZUF/5knlPZ6bryHGoHfV0lz+8ch1LIIraKa5j7D"
    "izQrpTgFCZv7JoUjUzf2Xjek24nElfLmgUKXuoJvx12DbLfn5ONT1IpTT1VE3dA6sEZf1+"
    "O1Itcd2prwfXlUwq+xr6GG3dx5VkRd37ZTlUdJOOMTkT4RwjOMXmksdWuADNkb0ENnU580"
    "OKtoj+YH0EKRgiHnLisGfxSnrZL1BqugRyKE1NV+dUSlGXXVGXZLeXicnqnEpxOcRlJq2c"
    "OI0y+fwiStm8E4zyw/WE/5gphCTmq0rGOkjVPJw7J6cZgGa9EpEWz4JQ5zuOU4dw6hBOAt"
    "NeHcJVewjn3/nCB11BzM89+o+f75AJXRy7xyUcr9XMVknC/XuV/g+xRGOcH+ulm+z54OzP"
    "5vZIRkC5FiSQg+0U1wKaQmzm2cA3BA1MGjnKpIYepeihR3G7eN7cET9N81D+kAXkD8kYfw"
    "hDvE5Zy50/EiFsYAZJ5+Qkk8p/kqLyn4QRt6mZsKB7ZDaN6E5Be9ajPRzWG2UvB9qth/ve"
    "3RkPd7EfSffyun9zBqAxxSTskM/CgzdZrK43yUbXm6jN5WhsP8bzGC6cUwYwJElhGz66EA"
    "eGjLAqFqzFzWG3xfPb26uAg+i8Pwhh/HB93mPYC+hZJ7xScPs3A5UpojzwrZllFOR6kFJx"
    "XRauxzhrvdnH6BP6BJJxIfYnDKF89PKwPSHDQByQF00m8RMrXsvG64g7MIv7yl+MpLjjal"
    "v2pGZiPtFlFROKtidGpcZIyQfS1sFWHKJr/kdTAVorynNkl7CaBFRfV0PVVtTu+OyYvR1X"
    "yiHXR8fHaNKKqtKV3jUxXO154apW4kE7tagV74IqcKf/sXobH1jM6k/lX5fJv67qBlV5RK"
    "7s8/9D+3xd/iaP+PLTVBsaIYtJtlNmRT+j4TJvvEmYcA9o5dTA9kTW02VzwhqkUpE8qZE8"
    "G+1nz1CeptlW7VAwj18CxkfzxCzcsnDNbojJuWR3ohv8ZHfju5WcJUCcMQpNTgm7OwotvM"
    "kE0GWzADcPV1c/Kr1MmH69ORLTjzcMV0/bO61DDfGOORLNpnSOeGYXL9zLBzgDiwkFFmVY"
    "IgNgF4xsOmVtWJ8Ab4ECl64a2uwPRERd4MVkGZ9nVvL4KhZMgp20nWKrwrUbI6uxuiFQ1m"
    "oGa7VI7sdeOR/FomWqWrNBeE+OsgTbsV6JAItndY7SOGgMXj3dAVmCNNg2SfMmSvhplM0a"
    "/Ij4pq4VM1xjSBW68QWf5XRe1cMb4MeTCYZiazVCqFZq3fwsMjoC8rlZ/ALz8L4WOZftTo"
    "hjdpkEl0C8oFBAZwQ6IiIzwCw0K+XT2oGsX/+Uyp3VN9DUoi4i+jLhBq9Qj3aaWwtv++a6"
    "0Us3MSLuK31CHUT4BVbiti0IbMTgF7WNGLcdtw3E3SQGdzrxYkg6NE1kr+66IoA9sUX0S9"
    "ydXhW8ITY2Y516Iobhf2GvUiEacrm9NrzJ6pbZEDTQ7VV+KY5nFHPGkQyu172B0L7pvM+S"
    "B9Z5n5wIxp+FrHX2fmRbNs5X6SRE1kC0q/DfOmy+Oc3MAJGKPFEOW+WwlbmwTU2+oTpVtp"
    "HSAJP0fomVcyzG6tp4zZKNrW1T2QHmdEFWi0EFmMtnvagA8wpVPv+0IhgP0Dc3HuMQWQMO"
    "79PUj95vg4DmEbmZc6N9XN3e/LLuHr6uM3SsA8e5rkRd91dX1KazovGXpCodXVW+UFwvmF"
    "mz0oOLcD1IqWofyMPk6LdtzeyCVU38hIrHMvPYpGPNoibWE3zvu+u0BUc4oAo7YgPk1J1a"
    "Hx+urthgjPKRfOrefzoDvKTfI7lh8DJ2U7L6fTntiSzu+mRnfcRVb9mI66P8OF2H+oRZ2a"
    "6pxWi5fZJgViQPEGKP59Wv1+fHpsv+eNV5c/zu+P3b0+P3rIuY56blXQo/oiXbhNcip5/R"
    "T6McjemOxo1XSHka0zyN/iVVvIq2r3xEEO5cVYjW6RoNgToYeBRKodoTpk3SVhOx+iEldm"
    "qJlKqxswOgrU6yJ0pfNgNd0XGT0Kr8vGj9CSYdG/k+0R2nR4HaW9WVKZpNh6yR/TBfI/vQ"
    "Oien6nBJssOlFasiSCeaKFuCQiaJbB912TYJ04XdWUKK7W6TfEt9QHPcQsTgEOVDuPWld3"
    "PZv/nlDHj0j+Su17381xng3tPlI/nY7V/1LvkbsYmMR8Kt5v5X3gJtfYLnyChisZdfaR3a"
    "Lh4xKajlDGMM0zXwuLWSeEZvH8iB9JaigRiXf6Tt4P/E3RqAx4kyfU3RJIn+odN5+/Zd5+"
    "jt6fuT43fvTt4fbUR79FGajD/v/8LFfAD+GLlPZ7aOtBG1p3Fu95TFHSZs4BovX2g7yJ6z"
    "9+eV2SGyJkJdicj2YCuwuiOUTcS8suVdQJSHKJVILyzSRzb7y4Laz3kWfICogWu9/OyhDW"
    "LJ2bsZ4PYTN+/u2fJR9zAqAHmUUuG9G2/kuJjtgNTWdBM6uWpwxZA2ULBUcnO1A+fI0BbY"
    "jbk1MDnUNEglR8Apf21jAk4dPCbQndkxuk0KV/xEiimlMwUTa+Zq6BucWnF3PyYzJkK4F3"
    "Mk2xcOzYUFtAmbT67QeD+NHB9Go8LjVYrID0oRmfJSHXquT8FHIseX0KgtQuXsSMMKauMx"
    "JtBkb2QqdM4MwVjiBgioA1yMrdOpxc8z83qew3TNs5kr8TxvYOOvgkNHM/BoFMX9o0lhwj"
    "acOEKIAyM+RP14kAL55e3D+VUPfLnrXfTv+54M2uQwiIe8aXsp9l2vexW+OMZB2hrBGEd0"
    "2k3kYVJ1GXn2y8iH0NUnYsXadJEngSBKqBIH0uBdQOxq0xiEUyRKLLWSJhmkSb0SjQ+7xO"
    "uZc5ol03jNu9yXj0UIKy3gXL/K2HJXGpdFcDWqILYUAe/tvSpib7/qEqAtrYiwjJXGI/Iv"
    "dyFhlV5WgzwXOXXAw6a5rDKoYvJbNqlVyYkt2wyuyhJaRMk9lbkiVeaKieZxu3PG2gdrYp"
    "kjKVpf+71fe3dnYI7RAtmPhBlfl/2LwS1r8qQVZa3XXWbhsv94zykHnf232hV/fCCjsviS"
    "oW+uxacMk7Lv75a4oG497GZl5uVW+Np7mXnSVSmW0cKTtEhx0IKJ0cojJk6ydu4raWTScQ"
    "Vqekgr92ntPhVCpKL7Qpb9j5Qe/0P1eO8intjtLe3iXD+VzFp8weP0CvJCa5eaXsBkuv18"
    "BujzI+nd3XEzCdk2LWQKlVwZTsyDoWnkitMJUjUvZKT8NAuS98Cc7HdQLp0MKfmk3ISru9"
    "1yHpEHyQqejcuGbcWH4yKMPld45ZZCRdzvmffgaLycaB7ZHCJrnnAuXwGhMzfvEveRqDWu"
    "KvyrktCpgTbi7tK8QTZ+IhVgo/zYVQIavGw6K6RBqkrXaE0wVd7sXaCW7M1WF8vnQzf3rf"
    "KrbehwBwZSble7I8L8m7VU18p3kY31SSvmrMB70k47JIDbPlWeDeTy9Ce6jGK3oRh3kcfA"
    "/Tz80vuKkh37BWrL7FtURrbN6AAJifyjyoGw172B6L45OsoSvXR0lBy+xJ+F8w+Ji+IuXk"
    "92WfhIDp/3XHOfRUSvPeRm9v1/W0eudQ=="
)
