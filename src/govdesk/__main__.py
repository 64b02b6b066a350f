from govdesk.cli import main

main()
