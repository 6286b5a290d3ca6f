from bonemet.cli import main

main()
