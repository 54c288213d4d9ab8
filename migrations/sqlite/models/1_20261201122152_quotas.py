from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "model_quotas" (
    "per_minute" INT,
    "per_day" INT,
    "updated_at" TIMESTAMP NOT NULL,
    "updated_by_id" CHAR(36) REFERENCES "users" ("id") ON DELETE SET NULL,
    "model_id" CHAR(36) NOT NULL PRIMARY KEY REFERENCES "models" ("id") ON DELETE CASCADE
) /* Prediction units every caller of one model may spend together; a null bound is unbounded. */;
        CREATE TABLE IF NOT EXISTS "user_limits" (
    "prediction_units_per_minute" INT,
    "uploads_per_hour" INT,
    "updated_at" TIMESTAMP NOT NULL,
    "updated_by_id" CHAR(36) REFERENCES "users" ("id") ON DELETE SET NULL,
    "user_id" CHAR(36) NOT NULL PRIMARY KEY REFERENCES "users" ("id") ON DELETE CASCADE
) /* An administrator's override of one user's rate limits; a null limit is the default. */;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "model_quotas";
        DROP TABLE IF EXISTS "user_limits";"""


MODELS_STATE = (
    "eJztXetz2zYS/1cw+nLpjJtxFDsP9+ZmZFtpdPUjZ8tpr3WHgUlIwpkCVD7s6Hr53w+A+H"
    "6JpEgbZPEhsQRiQeq34GJ3sbv4c7CkBjLtl1doZiF7MaX3iAyOwJ8DApeIfci8vgcGcLUK"
    "r/IGB96ZgsDa9NQc3lVcgne2Y0HdYVdn0LQRazKQrVt45WDK7za4JAh4dEDQgRd3a4AdG3"
    "z58h8Hf/ny3Q/AtZEBKNEZubNgPSy0MqHO2ryetqvryLap9ZLf06A6uykm83aGdwn+w0Xs"
    "N84R622xm/z2O2vGxEBfke1/Xd1rM4xMIwYoNvgAol1z1ivRdnMzOf0gevJHv9N0arpLEv"
    "ZerZ0FJUF318XGS07Dr80RQRZ0kBGBl7im6fHDb9o8MWtwLBcFj2qEDQaaQdfkTBr8feYS"
    "nfMGiDvx/w7+4T1apJumXVxOtevxVNMGKZ7yR0jwwWvSKeHzAROHA/Xnt824ISCidcBvcP"
    "JxdPXi9ZvvBATUduaWuCjgGnwThNCBG1IBegRl23aRoUEnDfYpA8vBS5QDeJQwgbvhUb70"
    "P9TB328IGRC+FD60PngtwM3eT2hcEnPtcb4A/unkfHw9HZ1/4rdb2vYfpoBvNB3zK0PRuk"
    "60vthwi7L3fSMOgkHAz5PpR8C/gl8vL8ZJngb9pr8O+DNB16EaoY8aNCKT1G/1UWM9Q56j"
    "ryvMRqvB9DhlD7neES77mBSymUvqGjyOkDXAYG8+Kv42z1+bLbPs52vVFso4VZMLZpq1qR"
    "XzeTi7ZXnkGsjsPnN19MBK4/uBWgjPyU9oLVCesEeBTCfKgNTTC6/DkTqJa9ga3t+Cj4He"
    "lphX7AP72cgREJyMrk9Gp+OBQPoO6veP0DK0GOT8Ch3SREvQN31pOVwmWyCBcwEP/yH8sR"
    "PQZ2jrEa7kK+reL6ugopt0jskR149ZryU21+wjdAB6QNYaWNThzE8o2nS26SNIwR0yKZnb"
    "7Fq2kt70DZSaLoEcKlLTdaaNOrWW8zhlD1U2pahLoqhLstrLxORSepyFHpiErvNuxymVtt"
    "4FLjNpZWdplCcLaBVzOaRMcJpB1j3eMn3tq2YiMncW7OvrYQGvP4+uNkvnMMG/C+/KUFz6"
    "lrR+LY0phCTjrcrHOk7VP5yHh29KAM165SItrsWhxqsqEG969w/aNwclkH1zkAssv5Qxha"
    "vp1xESZdoXmvYcqQbs+htvmE4iutWoj0ynqhZ9dOVLbnTFMT/26D/8dIVM6ODMNS5ne61j"
    "tkoe7t/a9H+IKZrh/PCnbr7ng7O/nNsjHwHlWpBADu4VuBbQEmKzygIeENRaw2ug/IRa6H"
    "4pNXS/QA/dz1rFxeeKaqhP0z+U35cB+X0+xu+TEK+gbT9SJicX0F5UwTlF2AzYUumlw8PD"
    "Uir/YYHKf5hE3KJmzoQeE3eZ0p3i9qxH+3RYB8peBbQHN9fjqyMe7mLdktHp+eTiCEBjiU"
    "nSIV+GB6/KWF2v8o2uV2mby9bYeowfMrhwTBnAkOSFbUToEhy4Y4RtscAXN0+7LB5fXp7F"
    "HETHk2kC45vz4zHDXkDPOuGNgju5mCYAVx74/LneXw+8uzJqcj1OqbguC9cznLXe02foE/"
    "oCknkt9ucMoXz08rA9/bab0HY0sUFeg+MpYsVr2XidcgeWcV9Fwz/qO64ajf+Rw2e1l3Ip"
    "7QbROf/TV4B8JfABWQ3MJgHV581QnRUjxYDZzJZEu750fIw+zahKbuLIuoaX2CnA8pKgKW"
    "X/bUeU+4zPgtF6Mu0q+tNHJoabhS/hUN9c2CvyqEPeBbXgU/9tczc+sHiq35WTXSYne1UH"
    "cLPO3+e2FNveJ1dG+l/QSBfyrmJ4RJSm3fgIWeyyrTIr/RrdrasGnSQJd4BWTp1hR2Q9pb"
    "8irHEqFc5TGM4TaD87xvP0zQjdS0T0RCVgdkhPxsRtCtfyFqucU3YruvFXdju+oeRsAOKS"
    "oWhyStjtoWjJRSaGLnsKcHFzdvZcOWbC9Bs/IPH42Ybh5ureVutQQ7xjhWyzJX1APL0LEi"
    "AGOAKPCwpWlGGJDIAdMLPokrVhfQG8CQocumnYY38QoyMG+7DOTjZreHwVECbBSrpXYKtC"
    "341R1lgNCJS1WsJarZMAslPiR72QmbbmbBzew/0yEXesVy7A4lqXQzWeNBCvm+6AMpEabJ"
    "mkVbMlojTKZo2/RHxR1+oZrhmkCt1vHXJedcMbEMWTCYZ6czVFqGZq1/wsMjoCqrlZogLz"
    "6X0tck7brRBnrDI5LoFsQaGALgl0SkSWgFloVsqntQXZqP4plTtrYqDlijqI6GvGq0GGSy"
    "vRY6/IrYXDvto9Wpd0bY2AbmJEnO/1BbURAYwSzKgFILAQg18UOGLctp09YOt0xb47VFRE"
    "0qFpIkv4nCAB7IolglrSzq1W7pAZm+Hnn4hh+Ad2KxWiIZfbK+BNWbdMQNBDt1fz9TjuUc"
    "YeRz64XvceQvtq+K5MMtjwXX42GL+WsNbZ/ZG1snC1cicJsh6i3Yb/1mbPW9HMjBGpyBPl"
    "sFUOW5mr23TkHepSeRspDbAd6tu0aX5tnGMZVlfgNcs3tsKmpgPM6SPZTAYVYC6f9aICzF"
    "tU+aKPlcJ4ir462RgnyHqweV+kfox/mcY0Dx/QF+ejX76LaR9nlxc/+t0jDDg5uzxObuvA"
    "eUYkyj+vLy9ydnO8/klFEOsO+B8wse20BnkoQ+5cbDqY2C/5/Z5DjHB8ilmRRD0hb/gASV"
    "YoHf2vqKOrzJqecb1MZs1GD67D9TilKoAgD5PT7/bKtWqWNokSKh7LzGOTzrUVNbGe43vf"
    "XqwtPsITqrAzNkBF3Wnw4ebsjA3GKG/Jx9H1xyPA6/rdkgsGL2M3JZvfV9GeKOOuz3fWp1"
    "z1KwtxfZRvp+tQXzAr2zG1DC13QnLMivwBEuzxvPrdev3Y47I/3w9fHbw9ePf6zcE71kU8"
    "Z9DytoAf6bptwmtR0c8YpVGOxmJHY+AVUp7GIk9jdErVL6UdKR8Rh7tKVZSgTEVPoI4HHi"
    "VSqHaEKUja6iNWz1KLqJNIqWJEWwAKdZIdUfoUDHRG531Cq2bppj9c6sB8SMtXbhKv6b/8"
    "0bqlEzZVuSkmqvK21yKibMsuW6yYW3vlnNzlHWtkPyzSyATS8PCN2oSTbBNuw6oU0rmmXE"
    "hQy3STTfg1bbsxm8Fxc1KRt7suQuondFusEDE4RNUQHnwaX5xOLn48Ah79Lbkaj07/fQS4"
    "l3l9Sz6MJmfjU35HbCLjlnDvwuQzb4GWvsAPyKjj2Wi+LD20HDxjUlCrGO6ZpOvhtnQrcZ"
    "/eOlAB6ZCihxg3v/Vv4/9mHbGA57ky3afok0R/Pxy+fv12uP/6zbvDg7dvD9/tB6I9falI"
    "xh9PfuRiPgZ/htynrqUjbUatZdb2RMHkThL2cI43L7RtZD2w+1eV2QmyPkLdisj2YKsxu1"
    "OUfcS8teldQ5QnKJVIry3SZxb78Eit+yoTPkbUw7nefJZVgFh+lnMJuKPE/Tuot3nUPYxq"
    "QJ6mVHhvxxvZDmYrILU03YR2pVplGaQ9FCytHPNtwwdkaI/YyThiMT8kN04lR2Auv21vAn"
    "NtPCfQca0M3aaAK1EixZTGmYLJynU09BUuV1kHZeYzJkW4E3MkWxeemguP0CLseSqlEERp"
    "5HgxepVGoFJpnimVZslLmuiVXoUIiRxvQq+WCJXbJA0rqIXnmECT3ZGp0BUzKTOJeyCgnu"
    "AUcZ0uV3w/s6rnOUnXP5u5Fc9zABu/FbyzNQPPZmncP5gU5izDuSMkODDjQ3SPBwWQn17e"
    "HJ+Nwaer8cnkeuLJoCDXQ1zkTeEJ4lfj0VnygB0baT6CGY7oomPbk6Tq5PbyJ7ffQUdfiB"
    "lr0ccqiRZpQpVgUQTvI8SOtsxAuECiZFIraVJCmnQrIftpp3g3c3PLZGT7vKt8SFuKsNVC"
    "192rIC53RXZZBFevCodLEcO+t1Pl8PCtbgDaxooty1iRPSX/KhdcVml4HcgHklMH3DEdqG"
    "KayybTLCO/JUhBy09sCTPdWktoEaUJVeaKVJkrJnrIWp1L1ojwiWWOpBh8nox/Hl8dgQeM"
    "HpF1S5jxdTo5mV6yJk9aUdZ6PmIWLvvHey456OzfZlV8/kBGZfHlQ99fi08ZJk2fcy5x4e"
    "Fu2M3KzKus8O3tZOZJV81ZRgtP0mLOcQsmQytPmTj52nmk9JNJ5y2o6QmtPKK1R1QIkYoe"
    "CVmOXlJ6/LPq8d6BRZnLW9EBw1EqmbX4mtvpLeSFdi41vYbJdPnTEaD3t2R8dcXNJGRZtJ"
    "Yp1HAFPfEcDE2jUpxOnKp/ISPNp1mQqhvmZLeNculkSMM75SbcnIFXcYs8TlZzb1w2bFve"
    "HBdh9JXCK0MKFXG/Y96DrfGyq1Vkc4Ksf8K5eQWEuk7VKR4hUXNcnYSgSmcXBtqIM16rBt"
    "lEiVSAjfJjtwlo/FDuspDGqVqdox3BVHmzt4HasDc7t05CPVzL1x6Wc8puRTf+yubELaXX"
    "rqfbMJByudoeERZdrCtHg7W5ZRCp1ZtXpTao5LutRq0oIFxup2AQ7kQAxkvHBohNvbV/3D"
    "2dAUoQEMOCJVwDmxerBP72wQ8Ait8B7qjLmrHNxhAfkfEy6TRs907b9zVydylkUlK271hI"
    "uZzuFWxPrNj7tsTEdTI8t/nnncSIVApO2rHIETJgRghwIaYehQI0Dag69y4f6m5GWmXY/K"
    "mgZZ93lXNrUoTKrCo+nDzASyYdVUrdPzW1GlBUt9q3/qkSbVu3Mmg4Ddi2zSn+fC6f4SX2"
    "RG1C8Y9cLVT8RSCUGXbcqvePCIAGU7Ew7+hQ6282oEwft7CBfF2cj8maOXfBZuhACxdfuR"
    "bOlG3gsSmt8bd0jx10fXniQGV4D5rW9MNINWHgafVU/+JRlOqapbqaFBobpBbUrXIaSRap"
    "glhZB8o6yNTElHWgrINeWwfZWQcVjYO6OQcy6EQNpxzsZBqMkIX1xSDDLPCuFJoEMOzTZr"
    "5Apej/XD0kU0pmaB4eR6SdRc3oHfk6do1687sWmpdO32i/SCF/qSog7HXvIbqv9vfLZDTv"
    "7+enNPNryZqExPGOWC4bxhghefpaqB2PY0ypXU+5wf3t/38sk3k="
)
