// What `keyrot init --issuer postgresql|mysql|redis --user NAME` writes for the source: an example
// host to replace, the admin login and where its password comes from, the logins to rotate (NAME_blue
// and NAME_green for alternating users; NAME itself for Redis), and, as comments, the setup and the
// privileges keyrot's own login needs (README, "Database privileges"). No module here loads a driver.
import { REDIS_COMMANDS, REVOKE_COMMAND } from '../redis/commands.js';

export const DATABASE_ISSUERS = ['postgresql', 'mysql', 'redis'] as const;
export type DatabaseIssuer = (typeof DATABASE_ISSUERS)[number];

export function databaseSource(issuer: DatabaseIssuer, name: string): { lines: string[]; permissions: string[] } {
  const [blue, green] = [`${name}_blue`, `${name}_green`];
  switch (issuer) {
    case 'postgresql':
      return {
        lines: [
          '  type: postgresql',
          '  host: db.example.internal     # replace with your server',
          '  database: postgres',
          '  admin: { user: keyrot, passwordEnv: KEYROT_PG_PASSWORD }   # keyrot\'s own login; its password from the environment',
          '  tls: { mode: verify-full }',
          `  roles: [${blue}, ${green}]   # alternating users: the new password goes to the one nobody uses`,
        ],
        permissions: [
          `PostgreSQL, once: CREATE ROLE ${name} NOLOGIN (grant it what the service needs);`,
          `  CREATE ROLE ${blue} NOLOGIN IN ROLE ${name}; CREATE ROLE ${green} NOLOGIN IN ROLE ${name};`,
          '  keyrot\'s login: CREATE ROLE keyrot LOGIN CREATEROLE; GRANT pg_signal_backend TO keyrot (a revoke ends the leaked role\'s sessions)',
          '  (and pg_read_all_stats to see the sessions\' addresses)',
        ],
      };
    case 'mysql':
      return {
        lines: [
          '  type: mysql',
          '  host: db.example.internal     # replace with your server',
          '  admin: { user: keyrot, passwordEnv: KEYROT_MYSQL_PASSWORD }   # keyrot\'s own login; its password from the environment',
          '  tls: { mode: verify-full }',
          `  users: [${blue}, ${green}]   # alternating users: every host of each is rotated as one`,
        ],
        permissions: [
          `MySQL / MariaDB, once: CREATE USER '${blue}'@'%' and '${green}'@'%' ACCOUNT LOCK, with the same grants;`,
          '  keyrot\'s login: GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* (MySQL 8: CONNECTION_ADMIN; a revoke ends the leaked user\'s sessions),',
          '  and SELECT ON mysql.global_priv (MariaDB) or mysql.user (MySQL 8)',
        ],
      };
    case 'redis':
      return {
        lines: [
          '  type: redis',
          '  host: cache.example.internal  # replace with your server',
          '  admin: { user: keyrot, passwordEnv: KEYROT_REDIS_PASSWORD }   # keyrot\'s own ACL user; its password from the environment',
          '  tls: { mode: verify-full }',
          `  user: ${name}                   # one ACL user, two passwords during the overlap`,
        ],
        permissions: [`Redis ACL, keyrot's own user: ACL SETUSER keyrot on >… -@all ${[...REDIS_COMMANDS, REVOKE_COMMAND].map((c) => `+${c}`).join(' ')}`],
      };
  }
}
