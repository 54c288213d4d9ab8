import sys

from modelserve_client.commands import main

sys.exit(main())
