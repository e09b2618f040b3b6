"""Accounts for GS_SIGN_IN=password (self-hosted): the whole app then asks for a name and password.

    python -m pipelines.common.accounts add NAME      # the password is read from standard input (twice at a terminal)
    python -m pipelines.common.accounts remove NAME   # the account and everything it kept
    python -m pipelines.common.accounts list

They live in the app's database (GS_DATABASE_URL, else SQLite in GS_DATA_DIR), so every replica knows them.
Passwords are stored only as salted scrypt hashes (pipelines/common/store/users.py).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from pipelines.common.store.database import get_database
from pipelines.common.store.users import Users


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("The two passwords differ; nothing was changed.")
    return first


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("add", help="add an account, or set its password").add_argument("name")
    actions.add_parser("remove", help="remove an account and its history").add_argument("name")
    actions.add_parser("list", help="the accounts and how many creations each keeps")
    args = parser.parse_args(argv)
    database = get_database()
    users = Users(database)
    try:
        if args.action == "add":
            users.add_account(args.name, read_password())
            print(f"Account {args.name!r} saved in {database.where()}.")
        elif args.action == "remove":
            print(f"Removed {args.name!r}." if users.remove_account(args.name) else f"There is no account {args.name!r}.")
        else:
            for name, kept in users.accounts():
                print(f"{name}\t{kept} creations")
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
