from tongpin.cli import main

main()
