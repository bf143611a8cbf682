"""The server's connection errors in the languages PostgreSQL speaks.

psycopg reports a failed connection without its SQLSTATE (libpq keeps the ErrorResponse's
fields to itself during the start-up), and a server with `lc_messages = 'de_DE.UTF-8'`
words "password authentication failed" as "Passwort-Authentifizierung … fehlgeschlagen".
So the few messages DB002 names (auth.c, postinit.c, hba.c) are matched in every language
PostgreSQL ships, from PostgreSQL's own message catalogs (src/backend/po/<lang>.po, compiled
into postgres-15.mo by Debian's postgresql-15 package). The table below is generated from
those catalogs by `python -m checks.support.pgmessages /usr/share/locale` — not written by hand.
"""

from __future__ import annotations

import functools
import gettext
import re
import sys
from pathlib import Path

# kind -> the English msgid(s) of the server (src/backend/libpq/auth.c, hba.c,
# utils/init/postinit.c); TLS_REQUIRED is hba.c's no-entry message whose last %s is
# "no encryption".
MESSAGES = {
    "tls_required": ('no pg_hba.conf entry for host "%s", user "%s", database "%s", %s', "no encryption"),
    "auth_failed": ('password authentication failed for user "%s"', 'role "%s" does not exist'),
    "not_allowed": ('no pg_hba.conf entry for host "%s", user "%s", database "%s", %s',
                    'pg_hba.conf rejects connection for host "%s", user "%s", database "%s", %s'),
    "database_missing": ('database "%s" does not exist',),
}

# Generated (see the module's docstring): kind -> (language, translated msgstr) pairs.
TRANSLATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    'tls_required': (
        ('de', 'kein pg_hba.conf-Eintrag für Host »%s«, Benutzer »%s«, Datenbank »%s«, keine Verschlüsselung'),
        ('es', 'no hay una línea en pg_hba.conf para «%s», usuario «%s», base de datos «%s», sin cifrado'),
        ('fr', "aucune entrée dans pg_hba.conf pour l'hôte « %s », utilisateur « %s »,\nbase de données « %s », aucun chiffrement"),
        ('it', 'nessuna voce in pg_hba.conf per l\'host "%s", utente "%s", database "%s", nessuna crittografia'),
        ('ja', 'pg_hba.conf にホスト"%s"、ユーザー"%s"、データベース"%s, 暗号化なし'),
        ('ka', 'pg_hba.conf-ში ჩანაწერი ჰოსტისთვის "%s" მომხმარებელი "%s", ბაზა "%s", დაშიფვრის გარეშე'),
        ('ko', '호스트 "%s", 사용자 "%s", 데이터베이스 "%s", 암호화 안함'),
        ('ru', 'в pg_hba.conf нет записи для компьютера "%s", пользователя "%s", базы "%s", без шифрования'),
        ('sv', 'ingen rad i pg_hba.conf för värd "%s", användare "%s", databas "%s", ingen kryptering'),
        ('uk', 'в pg_hba.conf немає запису для хосту "%s", користувача "%s", бази даних "%s", без шифрування'),
    ),
    'auth_failed': (
        ('de', 'Passwort-Authentifizierung für Benutzer »%s« fehlgeschlagen'),
        ('de', 'Rolle »%s« existiert nicht'),
        ('es', 'la autentificación password falló para el usuario «%s»'),
        ('es', 'no existe el rol «%s»'),
        ('fr', "authentification par mot de passe échouée pour l'utilisateur  « %s »"),
        ('fr', "le rôle « %s » n'existe pas"),
        ('it', 'autenticazione con password fallita per l\'utente "%s"'),
        ('it', 'il ruolo "%s" non esiste'),
        ('ja', 'ユーザー"%s"のパスワード認証に失敗しました'),
        ('ja', 'ロール"%s"は存在しません'),
        ('ka', 'პაროლით ავთენტიფიკაცია მომხმარებლისთვის "%s" ვერ მოხერხდა'),
        ('ka', 'როლი არ არსებობს: "%s"'),
        ('ko', '사용자 "%s"의 password 인증을 실패했습니다'),
        ('ko', '"%s" 롤(role) 없음'),
        ('ru', 'пользователь "%s" не прошёл проверку подлинности (по паролю)'),
        ('ru', 'роль "%s" не существует'),
        ('sv', 'Lösenordsautentisering misslyckades för användare "%s"'),
        ('sv', 'rollen "%s" finns inte'),
        ('uk', 'користувач "%s" не пройшов автентифікацію за допомогою пароля'),
        ('uk', 'роль "%s" не існує'),
        ('zh_CN', '用户 "%s" Password 认证失败'),
        ('zh_CN', '角色 "%s" 不存在'),
    ),
    'not_allowed': (
        ('de', 'kein pg_hba.conf-Eintrag für Host »%s«, Benutzer »%s«, Datenbank »%s«, %s'),
        ('de', 'pg_hba.conf lehnt Verbindung ab für Host »%s«, Benutzer »%s«, Datenbank »%s«, %s'),
        ('es', 'no hay una línea en pg_hba.conf para «%s», usuario «%s», base de datos «%s», %s'),
        ('es', 'pg_hba.conf rechaza la conexión para el servidor «%s», usuario «%s», base de datos «%s», %s'),
        ('fr', "aucune entrée dans pg_hba.conf pour l'hôte « %s », utilisateur « %s »,\nbase de données « %s », %s"),
        ('fr', "pg_hba.conf rejette la connexion pour l'hôte « %s », utilisateur « %s », base\nde données « %s », %s"),
        ('it', 'nessuna voce in pg_hba.conf per l\'host "%s", utente "%s", database "%s", %s'),
        ('it', 'pg_hba.conf rifiuta connessioni per l\'host "%s", utente "%s", database "%s", %s'),
        ('ja', 'pg_hba.conf にホスト"%s"、ユーザー"%s"、データベース"%s, %s用のエントリがありません'),
        ('ja', 'pg_hba.conf の設定でホスト "%s"、ユーザー "%s"、データベース "%s", %sの接続を拒否しました'),
        ('ka', 'pg_hba.conf-ში ჩანაწერი ჰოსტისთვის "%s" მომხმარებელი "%s", ბაზა "%s", %s აღმოჩენილი არაა'),
        ('ka', 'pg_hba.conf უარყოფს მიერთებას ჰოსტისთვის "%s", მომხმარებელი "%s", ბაზა "%s", %s'),
        ('ko', '호스트 "%s", 사용자 "%s", 데이터베이스 "%s", %s 연결에 대한 설정이 pg_hba.conf 파일에 없습니다.'),
        ('ko', '호스트 "%s", 사용자 "%s", 데이터베이스 "%s",  %s 연결이 pg_hba.conf 파일 설정에 따라 거부됩니다'),
        ('ru', 'в pg_hba.conf нет записи для компьютера "%s", пользователя "%s", базы "%s", %s'),
        ('ru', 'pg_hba.conf отвергает подключение: компьютер "%s", пользователь "%s", база данных "%s", %s'),
        ('sv', 'ingen rad i pg_hba.conf för värd "%s", användare "%s", databas "%s", %s'),
        ('sv', 'pg_hba.conf avvisar anslutning för värd "%s", användare "%s", databas "%s", %s'),
        ('uk', 'в pg_hba.conf немає запису для хосту "%s", користувача "%s", бази даних "%s", %s'),
        ('uk', 'pg_hba.conf відхиляє підключення для хосту "%s", користувача "%s", бази даних "%s", %s'),
        ('zh_CN', '没有用于主机 "%s", 用户 "%s", 数据库 "%s", %s 的 pg_hba.conf 记录'),
        ('zh_CN', 'pg_hba.conf 记录拒绝来自主机"%s", 用户"%s", 数据库"%s", %s的复制连接'),
    ),
    'database_missing': (
        ('de', 'Datenbank »%s« existiert nicht'),
        ('es', 'no existe la base de datos «%s»'),
        ('fr', "la base de données « %s » n'existe pas"),
        ('it', 'il database "%s" non esiste'),
        ('ja', 'データベース"%s"は存在しません'),
        ('ka', 'მონაცემთა ბაზა "%s" არ არსებობს'),
        ('ko', '"%s" 데이터베이스 없음'),
        ('ru', 'база данных "%s" не существует'),
        ('sv', 'databasen "%s" existerar inte'),
        ('uk', 'бази даних "%s" не існує'),
        ('zh_CN', '数据库 "%s" 不存在'),
    ),
}



def _word(word: str) -> str:
    # A server whose encoding cannot show a letter sends it transliterated: "»" as ">>",
    # "ü" as "?" (seen from a SQL_ASCII cluster): any non-ASCII letter is one or two others.
    return "".join(re.escape(ch) if ch.isascii() else r"\S{1,2}" for ch in word)


def _pattern(message: str) -> str:
    """A msgstr as a regular expression: each %s/%d a lazy wildcard, any run of spaces or
    line breaks any run of spaces (the catalogs wrap long messages)."""
    parts = re.split(r"%[sdu]", message)
    return ".*?".join(r"\s+".join(_word(word) for word in part.split()) if part.strip() else
                      (r"\s*" if part else "") for part in parts)


@functools.cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Built on first use: 66 patterns cost ~10 ms to compile on every run that reaches a
    database, and only a refused connection from a non-English server reads them."""
    return tuple((kind, re.compile(_pattern(text), re.IGNORECASE | re.DOTALL))
                 for kind, entries in TRANSLATIONS.items() for _, text in entries)


def classify(text: str) -> str | None:
    """The kind of a non-English server message, None when none matches."""
    for kind, pattern in _patterns():
        if pattern.search(text):
            return kind
    return None


def generate(locale_dir: Path) -> str:
    """TRANSLATIONS from the postgres-*.mo catalogs under `locale_dir` (as Python source)."""

    catalogs = {}
    for mo in sorted(locale_dir.glob("*/LC_MESSAGES/postgres-*.mo")):
        with mo.open("rb") as handle:
            catalogs[mo.parts[-3]] = gettext.GNUTranslations(handle)
    lines = ["TRANSLATIONS: dict[str, tuple[tuple[str, str], ...]] = {"]
    for kind, ids in MESSAGES.items():
        lines.append(f"    {kind!r}: (")
        for language, catalog in catalogs.items():
            found = catalog._catalog  # type: ignore[attr-defined]
            if kind == "tls_required":
                entry, tail = found.get(ids[0]), found.get(ids[1])
                texts = [entry.rsplit("%s", 1)[0] + tail] if entry and tail else []
            else:
                texts = [found[i] for i in ids if found.get(i)]
            lines += [f"        ({language!r}, {text!r})," for text in texts]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/locale")))
