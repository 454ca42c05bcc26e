/*
 * export/tf_data.c: databases as RDS: aws_db_instance (engine, backup retention and window,
 * maintenance window, deletion protection, storage encryption with an aws_kms_key), its
 * aws_db_subnet_group and security group (the instances' group may connect), and its
 * parameters as an aws_db_parameter_group. The master password is RDS's to keep (Secrets
 * Manager); other users and their grants are SQL, not AWS resources. Writes data.tf.
 */
#include "export/internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ID 64

static void
write_db(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *db)
{
    const struct conf_node *bk = export_get(db, XK(XK_BACKUP));
    const struct conf_node *enc = export_get(db, XK(XK_ENCRYPTION));
    const struct conf_node *params = export_get(db, XK(XK_PARAMETERS));
    const struct conf_node *schemas = export_get(db, XK(XK_SCHEMAS));
    const struct conf_node *k;
    const char *mode = export_word(cx, db, XK(XK_MODE)), *bwin = NULL, *mwin = NULL;
    uint64_t retention_ms = 0;
    char id[ID];
    FILE *v = export_out(cx, "variables.tf");

    export_tf_id(name, id, sizeof(id));
    if (mode && strcmp(mode, "external") == 0) {
        export_note(cx, export_key(db, XK(XK_MODE)), "databases.%s: an external database is "
                    "not tierd's to create; point the application at its endpoint", name);
        return;
    }
    if (bk)
        export_ms(cx, bk, XK(XK_BK_RETENTION), &retention_ms);
    export_str(cx, bk, XK(XK_BK_WINDOW), &bwin);
    export_str(cx, db, XK(XK_MAINTENANCE_WINDOW), &mwin);
    if (!export_declared(cx, "db_instance_class"))
        fputs("\nvariable \"db_instance_class\" {\n"
              "  description = \"RDS instance class of the databases\"\n"
              "  type        = string\n  default     = \"db.t4g.micro\"\n}\n\n"
              "variable \"db_allocated_storage\" {\n"
              "  description = \"Storage of each database, in GiB\"\n"
              "  type        = number\n  default     = 20\n}\n\n"
              "variable \"db_engine_version\" {\n"
              "  description = \"MariaDB version on RDS\"\n"
              "  type        = string\n  default     = \"11.4\"\n}\n", v);
    fprintf(f, "resource \"aws_db_subnet_group\" \"%s\" {\n"
               "  name_prefix = \"${var.name}-%s-\"\n"
               "  subnet_ids  = var.private_subnet_ids\n}\n\n", id, name);
    fprintf(f, "resource \"aws_security_group\" \"db_%s\" {\n"
               "  name_prefix = \"${var.name}-db-%s-\"\n"
               "  description = \"database %s: MariaDB from the instances\"\n"
               "  vpc_id      = var.vpc_id\n"
               "  ingress {\n"
               "    from_port       = 3306\n    to_port         = 3306\n"
               "    protocol        = \"tcp\"\n"
               "    security_groups = [aws_security_group.app.id]\n  }\n}\n\n", id, name, name);
    if (enc)
        fprintf(f, "resource \"aws_kms_key\" \"db_%s\" {\n"
                   "  description             = \"${var.name} database %s storage\"\n"
                   "  enable_key_rotation     = true\n"
                   "  deletion_window_in_days = 30\n}\n\n", id, name);
    if (params && params->kind == CONF_MAP && params->n) {
        fprintf(f, "resource \"aws_db_parameter_group\" \"%s\" {\n"
                   "  name_prefix = \"${var.name}-%s-\"\n"
                   "  family      = \"mariadb${var.db_engine_version}\"\n", id, name);
        for (unsigned i = 0; i < params->n; i++) {
            fputs("  parameter {\n    name  = ", f);
            export_hcl_str(f, params->pairs[i].key->str);
            fputs("\n    value = ", f);
            export_hcl_str(f, params->pairs[i].value->str ? params->pairs[i].value->str : "");
            fputs("\n    apply_method = \"pending-reboot\"\n  }\n", f);
        }
        fputs("}\n\n", f);
    }
    fprintf(f, "resource \"aws_db_instance\" \"%s\" {\n"
               "  identifier_prefix           = \"${var.name}-%s-\"\n"
               "  engine                      = \"mariadb\"\n"
               "  engine_version              = var.db_engine_version\n"
               "  instance_class              = var.db_instance_class\n"
               "  allocated_storage           = var.db_allocated_storage\n"
               "  db_subnet_group_name        = aws_db_subnet_group.%s.name\n"
               "  vpc_security_group_ids      = [aws_security_group.db_%s.id]\n"
               "  username                    = \"admin\"\n"
               "  manage_master_user_password = true\n",
            id, name, id, id);
    if (schemas && schemas->kind == CONF_SEQ && schemas->n && schemas->items[0]->str) {
        fputs("  db_name                     = ", f);
        export_hcl_str(f, schemas->items[0]->str);
        fputc('\n', f);
    }
    fprintf(f, "  backup_retention_period     = %" PRIu64 "\n", retention_ms / 86400000);
    if (bwin) {
        fputs("  backup_window               = ", f);
        export_hcl_str(f, bwin);
        fputc('\n', f);
    }
    if (mwin) {
        fputs("  maintenance_window          = ", f);
        export_hcl_str(f, mwin);
        fputc('\n', f);
    }
    fprintf(f, "  storage_encrypted           = %s\n", enc ? "true" : "false");
    if (enc)
        fprintf(f, "  kms_key_id                  = aws_kms_key.db_%s.arn\n", id);
    if (params && params->kind == CONF_MAP && params->n)
        fprintf(f, "  parameter_group_name        = aws_db_parameter_group.%s.name\n", id);
    fprintf(f, "  deletion_protection         = %s\n"
               "  apply_immediately           = %s\n"
               "  skip_final_snapshot         = false\n"
               "  final_snapshot_identifier   = \"${var.name}-%s-final\"\n"
               "  copy_tags_to_snapshot       = true\n}\n\n",
            export_bool(cx, db, XK(XK_DELETION_PROTECTION), true) ? "true" : "false",
            export_bool(cx, db, XK(XK_APPLY_IMMEDIATELY), false) ? "true" : "false", name);
    if (!enc)
        export_note(cx, export_key(db, XK(XK_ENGINE)) ? export_key(db, XK(XK_ENGINE)) : NULL,
                    "databases.%s: storage_encryption is absent, so the RDS storage is not "
                    "encrypted either; add it", name);
    if ((k = export_key(db, XK(XK_USERS))))
        export_note(cx, k, "databases.%s.users: RDS creates the master user only (its password "
                    "in Secrets Manager); create the others with SQL", name);
    if (schemas && schemas->kind == CONF_SEQ && schemas->n > 1)
        export_note(cx, export_key(db, XK(XK_SCHEMAS)), "databases.%s.schemas: RDS creates one "
                    "database (db_name); create the others with SQL", name);
    if (bk && (k = export_key(bk, XK(XK_BK_REPOSITORY))))
        export_note(cx, k, "databases.%s.backup.repository: RDS keeps its snapshots itself; "
                    "point-in-time restore works to within 5 minutes", name);
    if (bk && (k = export_key(bk, XK(XK_BK_BINLOG_INTERVAL))))
        export_note(cx, k, "databases.%s.backup.binlog_interval: RDS uploads its logs every 5 "
                    "minutes", name);
    if (bk && (k = export_key(bk, XK(XK_BK_VERIFY))))
        export_note(cx, k, "databases.%s.backup.verify: RDS does not restore-test its snapshots",
                    name);
    if ((k = export_key(db, XK(XK_ADDRESS))) || (k = export_key(db, XK(XK_SOCKET))) ||
        (k = export_key(db, XK(XK_DATADIR))))
        export_note(cx, k, "databases.%s: address, socket and datadir are the host's; RDS gives "
                    "an endpoint (aws_db_instance.%s.address)", name, id);
}

void
tf_data_write(struct export_ctx *cx)
{
    const struct conf_node *dbs = export_section(cx, XK(XK_DATABASES));
    FILE *f;

    if (!dbs || dbs->kind != CONF_MAP || dbs->n == 0)
        return;
    f = export_out(cx, "data.tf");
    fputs("# Databases: RDS for MariaDB.\n\n", f);
    for (unsigned i = 0; i < dbs->n; i++)
        write_db(cx, f, dbs->pairs[i].key->str, dbs->pairs[i].value);
}
