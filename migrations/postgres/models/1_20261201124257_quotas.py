from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
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
        DROP TABLE IF EXISTS "user_limits";
        DROP TABLE IF EXISTS "model_quotas";"""


MODELS_STATE = (
    "eJztXW1z2zYS/iscfblkRs04iu0k7s3NyLbS6OqXnC2nvdYdBiYhCWcKUPliR5fLfz8AIs"
    "U3kCIp0gZZfEgsgViQehZc7C52F996C2JCy3l1Bac2dOYTcg9x70j71sNgAekH4fW+1gPL"
    "ZXiVNbjgzuIE9rqn7rKu/BK4c1wbGC69OgWWA2mTCR3DRksXEXa33iWGmk+ncTrtxd1KQ6"
    "6jffnyHxd9+fLyR81zoKkRbFByd0572HBpAYO2+T0dzzCg4xD7FbunSQx6U4RnzQzvYfSn"
    "B+lvnEHa26Y3+f0P2oywCb9CJ/i6vNenCFpmDFBksgF4u+6ulrzt5mZ8+oH3ZI9+pxvE8h"
    "Y47L1cuXOCN909D5mvGA27NoMY2sCFZgRe7FmWz4+gaf3EtMG1Pbh5VDNsMOEUeBZjUu/v"
    "Uw8bjDcavxP7b/8f/qNFuun6xeVEvx5NdL2X4il7hAQf/CaDYDYfEHYZUN++r8cNAeGtPX"
    "aDk4/DqxdvDl9yCIjjzmx+kcPV+84JgQvWpBz0CMqO40FTB24a7FMKlosWMAPwKGECd9On"
    "fBV8qIJ/0BAyIHwpAmgD8BqAm76fwLzE1srnfA78k/H56HoyPP/EbrdwnD8tDt9wMmJXBr"
    "x1lWh9seYWoe/7WhxsBtF+GU8+auyr9tvlxSjJ002/yW899kzAc4mOyaMOzMgkDVoD1GjP"
    "kOfw6xLR0SowPU7ZQa63hMsBJrlsZpK6Ao8jZDUw2J+Pir/189ehyyz9+Xq5hTJOVeeCmW"
    "ZtasV8Hs5uWR6ZBjK9F66OPlhpfD8QG6IZ/hmuOMpj+iiA6kQCSH298DocqZW4hq3h/W3w"
    "uNHbEvOKfqA/G7ocgpPh9cnwdNTjSN8B4/4R2KYeg5xdIQOSaNn0TV9aDBbJFoDBjMPDfg"
    "h77AT0Am09wpVsRd3/ZSVUdIvMED5i+jHttUDWin4ErgYfoL3SbOIy5icUbTJd9+Gk2h20"
    "CJ459JpYSa/7BkpNl0AO5anpBtVG3UrLeZyygyqbUtQlUdQlWe1lYnIhPc6GD1RCV3m345"
    "RKW28Dl6m0ckQa5ckc2PlcDikTnKaQtY+3VF/7qlsQz9w5/fpmkMPrz8Or9dI5SPDvwr8y"
    "4Je+J61fW6cKIRa8VdlYx6m6h/Pg4LAA0LRXJtL8WhxqtCwD8bp396A93C+A7OF+JrDskm"
    "AKl9OvIyTKtM817RlSNdj1N/4wrUR0q1EfmU5lLfroypfc6IpjfuzTf/j5ClrARcI1LmN7"
    "rWW2Shbu35v0f/ApKnB+BFM32/PB2F/M7ZGNgHItSCAH+zmuBbgAyCqzgG8IKq3hFVB+Qi"
    "10r5Aaupejh+6JVnH+uaQaGtB0D+X3RUB+n43x+yTES+A4j4TKyTlw5mVwThHWA7ZUeung"
    "4KCQyn+Qo/IfJBG3iZUxoUfYW6R0p7g969M+HdYbZa8E2r2b69HVEQt3sW/x8PR8fHGkAX"
    "OBcNIhX4QHr4tYXa+zja7XaZvL0el6jB4EXDgmFGCAs8I2InQJDtxRwqZYEIibp10Wjy8v"
    "z2IOouPxJIHxzfnxiGLPoaed0FrBHV9MEoArD3z2XO+uB95bmhW5HqdUXJeF6wJnrf/0An"
    "3CmAM8q8T+jCGUj14etqffdgs4rs43yCtwPEWseC0br1PuwCLuq2j4R3XHVa3xP3L4rPop"
    "l9JuEJ2zP10FKFACH6Bdw2ziUH1eD9VaMZIPmENtSbjrS8fG6NKMKuUmjqxraIHcHCwvMZ"
    "wQ+t92RJnP+GwzWkemXUl/+tBCYL3wJRzq6wv9PI86YF1gAz7139d3YwPzp/pDOdllcrKX"
    "dQDX6/x9bkux6X1yZaT/BY10Lu9KhkdEaZqNj5DFLtsqs9Kv0d2qbNBJknAHaOXUGXZE1l"
    "f6S8Iap1LhPLnhPBvtZ8d4nq4Zof1ERE9UAopDegQTty5ci1usck7ZrejGX9nt+IaSswaI"
    "C4aiySlht4eiJReZGLr0KbSLm7Oz58ox46bf6AHyxxcbhuur/a3WoQ5ZxxLZZgvyAFl6F8"
    "AaH+BIe5wTbUkoltDUkKtNbbKgbciYa/4E1VyybujTP5DSYZN+WImTzWoeXwWESbCS9nNs"
    "VRC4MYoaqxsCZa0WsFarJIDslPhRLWSmqTkbh/dgr0jEHe2VCTC/1uZQjScNxGunO6BIpA"
    "ZdJknZbIkojbJZ4y8RW9T1aoargFSh+71Fzqt2eAOieFLBUG2upgjVTG2bn0VGR0A5N0tU"
    "YD69r0XOabsVYsEqk+ESEAsKBXRBoFMisgDMXLNSPq0tyEb1T6ncWWMTLpbEhdhYUV71BC"
    "6tRI9+nlsLhX31e7gq6NoaaoaFIHZ/MObEgVijlNqU2BrQbEjh5wWOKLcdt685BlnS7y7h"
    "FZEMYFnQ5j4ngDV6xeZBLWnnViN3EMZmBPknfBj2gd5KhWjI5fba8KaoW2ZD0EG3V/31OO"
    "6hYI8jG1y/ewehfT14VyQZbPAuOxuMXUtY6/T+0F7aqFy5kwRZB9Fuwn/r0OctaWbGiFTk"
    "iXLYKoetzNVtWvIOtam8jZQG2A71bZo0v9bOMYHVtfGaZRtbYVPdAebkEa8ngwowl896UQ"
    "HmDap80cdKYTyBX10xxgmyDmze56kfo18nMc0jAPTF+fDXlzHt4+zy4qege4QBJ2eXx8lt"
    "HTATRKL88/ryImM3x++fVASR4Wr/0yzkuI1BHsqQOw9ZLsLOK3a/5xAjDJ98ViRRT8gbNk"
    "CSFUpH/yvq6CqzpmNcL5JZs9aDq3A9TqkKIMjD5PS7vfTsiqVNooSKxzLz2CIzfUksZGT4"
    "3rcXa4uP8IQq7JQOUFJ36n24OTujg1HKW/xxeP3xSGN1/W7xBYWXspvg9e8raU8UcddnO+"
    "tTrvqlDZk+yrbTDWDMqZXtWrpAyx3jDLMie4AEe3yvfrteP/q49M8Pg9f7b/ffvTncf0e7"
    "8OfctLzN4Ue6bhv3WpT0M0ZplKMx39G48QopT2OepzE6paqX0o6Uj4jDXaYqyqZMRUegjg"
    "ceJVKodoRpk7TVRayepRZRK5FSxYi2ABTqJDui9Gkz0BmZdQmtiqWb/vSIC7IhLV65ib+m"
    "/wpGa5dOWFflppioytpei4iyLbtssWJuzZVz8hZ3tJH+sEgjFUiDg0O1CSfZJtyaVSmkM0"
    "25kKCS6Sab8KvbdqM2g+tlpCJvd12E1E/otlhCbDKIyiHc+zS6OB1f/HSk+fS3+Go0PP33"
    "kca8zKtb/GE4PhudsjsiC5q3mHkXxp9ZC7CNOXqAZhXPRv1l6YHtoimVgnrJcM8kXQe3pR"
    "uJ+/TXgRJIhxQdxLj+rX8H/Vd0xAKaZcr0gKJLEv39YPDmzdvB3pvDdwf7b98evNvbiPb0"
    "pTwZfzz+iYn5GPwCuU8824D6lNgL0fZEzuROEnZwjtcvtB1oP9D7l5XZCbIuQt2IyPZhqz"
    "C7U5RdxLyx6V1BlCcolUivLNKnNv3wSOz7MhM+RtTBuV5/ltUGsews5wJwR4m7d1Bv/aj7"
    "GFWAPE2p8N6ON3RcRFdAYuuGBZxStcoEpB0ULI0c8+2AB2jqj8gVHLGYHZIbp5IjMJfdtj"
    "OBuQ6aYeB6tkC3yeFKlEgxpXamILz0XB1+BYul6KDMbMakCHdijmTrwlNz4RHYmD5PqRSC"
    "KI0cL0an0ghUKs0zpdIsWEkTo9SrECGR403o1BKhcpukYQWx0QxhYNE7UhW6ZCalkLgDAu"
    "oJThE3yGLJ9jPLep6TdN2zmRvxPG9gY7cCd45uouk0jfsHi4CMZThzhAQHpmyI9vEgB/LT"
    "y5vjs5H26Wp0Mr4e+zJok+vBL7Km8ATxq9HwLHnAjgP1AEGBIzrv2PYkqTq5vfjJ7XfANe"
    "Z8xtrksUyiRZpQJVjkwfsIkKsvBAjnSBQhtZImBaRJuxKyn3aKtzM3t0hGdsC70oe0pQgb"
    "LXTdvgricldkl0VwdapwuBQx7P2dKoeHb3UN0NZWbFnGiuwp+Ve64LJKw2tBPpCcOuCO6U"
    "Al01zWmWaC/JZNClp2YkuY6dZYQgsvTagyV6TKXLHgg2h1LlgjIiCWOZKi93k8+mV0daQ9"
    "IPgI7VtMja/T8cnkkjb50orQ1vMhtXDpP9ZzwUCn/9ar4vMHMiqLLxv67lp8yjCp+5xziQ"
    "sPt8NuVmZeaYWvv5OZJ101ZxktPEmLOcctGIFWnjJxsrXzSOkni8waUNMTWnlEa4+oEDwV"
    "PRKyHL2k9Phn1eP9A4uEy1veAcNRKpm1+Irb6Q3khbYuNb2CyXT585FG7m/x6OqKmUnQtk"
    "klU6jmCnr8OSiaZqk4nThV90JG6k+zwGU3zPFuG+XSyZCad8otsD4Dr+QWeZys4t64bNg2"
    "vDnOw+hLhVeGFCrifse8B0dnZVfLyOYEWfeEc/0KCPHcslM8QqLmuDoJQZXOzg204We8lg"
    "2yiRKpABvlx24S0Pih3EUhjVM1OkdbgqnyZm8DtWZvdmadhGq4Fq89LOeU3Ypu/JXNiFtK"
    "r11Pt2Eg5XK1PSIsuliXjgZrcssgUqs3q0rtppLvthq1vIBwsZ2CXrgToVFeuo4G6dRbBc"
    "fdk6lGMNT4sNoCrDSHFavUgu2DHzXAf4d2RzzajBw6Bv8IzVdJp2Gzd9q+r6F2KZ51l2JJ"
    "X7sFwp4rcOBmH3sSI1KZOGn/IkPIBIJI4FxMfQoFaBpQdfxdNtTtDLgSmP6p2OWAd6VTbF"
    "KEyrqS1wWwfaWVEs4cYzWcfjJp/lJaVKk3tQb1f6vXIDiro2mfgQwzuwaPQX3mFJvLZ2iB"
    "/JUrYU5FrvbzzCkeXmaFHbdaU0OsAZNqrIh1dIn9N0cj1MqxkQkDC4eNSZsZd7X10Bvbhn"
    "9ltg01YTSfTWk7qqF7KAtKAlHfz7OgwkBAbj/r1Uyq/FGUSSAyCSwCzDVSc+KVOexFRKog"
    "VlaXsrqEKpmyujqX7yKDZqpsrk7aXOIMmZImV9X8GBnmdc3pMTsZXENoI2PeExhb/pV+nq"
    "EFwj5N5raUsmAylTqhkBSocT5HpJ1F9Shx2QZLhbMRdj0UQTrlrfmCmuylKoGw372D6L7e"
    "2yuSfb+3l51+z64l62di1z8OvGjIbYTk6ev2tjzmNqV2PWUwxvf/AyshbSQ="
)
