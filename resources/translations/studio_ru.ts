<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ru_RU">
    <context>
        <name />
        <message>
            <location filename="../../studio/pages/profiles.py" line="130" />
            <source>Manual</source>
            <translation>Вручную</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="130" />
            <source>Run / Dry run buttons and b24sync run</source>
            <translation>Кнопки «Запустить» / «Пробный запуск» и команда b24sync run</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="133" />
            <source>every {} min</source>
            <translation>каждые {} мин</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="134" />
            <source>Schedule</source>
            <translation>Расписание</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="137" />
            <source>Event</source>
            <translation>Событие</translation>
        </message>
    </context>
    <context>
        <name>ActivityChart</name>
        <message>
            <location filename="../../studio/pages/monitor.py" line="63" />
            <source>Items synced (bars) and API calls (line) per minute</source>
            <translation>Синхронизировано записей (столбцы) и вызовов API (линия) в минуту</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="65" />
            <source>No runs yet: run a profile to see activity.</source>
            <translation>Запусков пока нет: запустите профиль, чтобы увидеть активность.</translation>
        </message>
    </context>
    <context>
        <name>ConnectionDialog</name>
        <message>
            <location filename="../../studio/pages/connections.py" line="39" />
            <source>Add JIRA connection</source>
            <translation>Новое подключение к JIRA</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="39" />
            <source>Add Bitrix24 connection</source>
            <translation>Новое подключение к Bitrix24</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="43" />
            <source>Name</source>
            <translation>Название</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="50" />
            <source>JIRA Cloud (e-mail + API token)</source>
            <translation>JIRA Cloud (эл. почта + API-токен)</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="51" />
            <source>JIRA Server / Data Center (personal access token)</source>
            <translation>JIRA Server / Data Center (персональный токен доступа)</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="52" />
            <source>JIRA Server / Data Center (user + password)</source>
            <translation>JIRA Server / Data Center (логин + пароль)</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="55" />
            <source>Inbound webhook URL</source>
            <translation>URL входящего вебхука</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="56" />
            <source>OAuth application (portal URL + access token)</source>
            <translation>OAuth-приложение (URL портала + токен доступа)</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="58" />
            <source>Kind</source>
            <translation>Тип</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="59" />
            <source>URL</source>
            <translation>URL</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="60" />
            <source>User / e-mail</source>
            <translation>Пользователь / эл. почта</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="62" />
            <location filename="../../studio/pages/connections.py" line="102" />
            <source>API token</source>
            <translation>API-токен</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="66" />
            <source>optional: CA certificate for self-signed servers</source>
            <translation>необязательно: сертификат ЦС для самоподписанных серверов</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="67" />
            <source>Browse…</source>
            <translation>Обзор…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="71" />
            <source>CA file</source>
            <translation>Файл ЦС</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="72" />
            <source>The secret is stored in the system keyring, never in the database; it is not shown again.</source>
            <translation>Секрет хранится в системном хранилище ключей, а не в базе данных; повторно он не показывается.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="89" />
            <source>CA certificate</source>
            <translation>Сертификат ЦС</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="101" />
            <source>Password</source>
            <translation>Пароль</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="102" />
            <source>Access token</source>
            <translation>Токен доступа</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="103" />
            <source>E-mail</source>
            <translation>Эл. почта</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="103" />
            <source>User</source>
            <translation>Пользователь</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="108" />
            <source>Name is empty.</source>
            <translation>Не указано название.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="111" />
            <source>URL must start with http:// or https://.</source>
            <translation>URL должен начинаться с http:// или https://.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="114" />
            <source>User / e-mail is empty.</source>
            <translation>Не указан пользователь / эл. почта.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="116" />
            <source>The token or password is empty.</source>
            <translation>Не указан токен или пароль.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="118" />
            <source>An inbound webhook URL looks like https://portal/rest/&lt;user id&gt;/&lt;code&gt;/.</source>
            <translation>URL входящего вебхука выглядит так: https://portal/rest/&lt;ID пользователя&gt;/&lt;код&gt;/.</translation>
        </message>
    </context>
    <context>
        <name>ConnectionsPage</name>
        <message>
            <location filename="../../studio/pages/connections.py" line="145" />
            <source>Connections</source>
            <translation>Подключения</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="148" />
            <source>The JIRA instances and Bitrix24 portals the profiles sync between. Secrets stay in the system keyring.</source>
            <translation>Экземпляры JIRA и порталы Bitrix24, между которыми профили синхронизируют данные. Секреты остаются в системном хранилище ключей.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="154" />
            <source>Add JIRA…</source>
            <translation>Добавить JIRA…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="155" />
            <source>Add Bitrix24…</source>
            <translation>Добавить Bitrix24…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="156" />
            <source>Test connection</source>
            <translation>Проверить подключение</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="157" />
            <source>Remove</source>
            <translation>Удалить</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="163" />
            <source>Name</source>
            <translation>Название</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="163" />
            <source>System</source>
            <translation>Система</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="163" />
            <source>Kind</source>
            <translation>Тип</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="163" />
            <source>URL</source>
            <translation>URL</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="164" />
            <source>Secret kept in</source>
            <translation>Секрет</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="173" />
            <source>Select a connection and press “Test connection” to see the server or portal and the user it signs in as.</source>
            <translation>Выберите подключение и нажмите «Проверить подключение», чтобы увидеть сервер или портал и пользователя, от имени которого выполняется вход.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="177" />
            <source>Events from this portal</source>
            <translation>События с этого портала</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="183" />
            <source>Sync service public URL</source>
            <translation>Публичный URL сервиса синхронизации</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="184" />
            <source>Handler URL to paste into the portal's outgoing webhook</source>
            <translation>URL обработчика для исходящего вебхука портала</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="199" />
            <source>Loading connections</source>
            <translation>Загрузка подключений</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="206" />
            <source>keyring</source>
            <translation>хранилище ключей</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="206" />
            <source>environment variable {}</source>
            <translation>переменная окружения {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="239" />
            <source>Saving connection</source>
            <translation>Сохранение подключения</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="245" />
            <source>Testing {}…</source>
            <translation>Проверка {}…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="249" />
            <source>&lt;b&gt;Connected&lt;/b&gt; to {server} {version} ({deployment}).&lt;br&gt;Signed in as {user} &amp;lt;{email}&amp;gt;.</source>
            <translation>&lt;b&gt;Подключено&lt;/b&gt; к {server} {version} ({deployment}).&lt;br&gt;Вход выполнен как {user} &amp;lt;{email}&amp;gt;.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="253" />
            <source>&lt;b&gt;Connected&lt;/b&gt; to the Bitrix24 portal {portal}.&lt;br&gt;Webhook of {user} &amp;lt;{email}&amp;gt;{admin}.</source>
            <translation>&lt;b&gt;Подключено&lt;/b&gt; к порталу Bitrix24 {portal}.&lt;br&gt;Вебхук пользователя {user} &amp;lt;{email}&amp;gt;{admin}.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="256" />
            <source>, administrator</source>
            <translation>, администратор</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="260" />
            <source>&lt;b style='color:#c0392b'&gt;Failed:&lt;/b&gt; {}</source>
            <translation>&lt;b style='color:#c0392b'&gt;Ошибка:&lt;/b&gt; {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="262" />
            <source>Testing connection</source>
            <translation>Проверка подключения</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="269" />
            <source>Remove connection</source>
            <translation>Удаление подключения</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="270" />
            <source>Remove {} and its stored secret?</source>
            <translation>Удалить {} и сохранённый секрет?</translation>
        </message>
        <message>
            <location filename="../../studio/pages/connections.py" line="273" />
            <source>Removing</source>
            <translation>Удаление</translation>
        </message>
        <message>
            <source>the application token the portal shows for that webhook</source>
            <translation>токен приложения, который портал показывает для этого вебхука</translation>
        </message>
        <message>
            <source>Save token</source>
            <translation>Сохранить токен</translation>
        </message>
        <message>
            <source>Application token</source>
            <translation>Токен приложения</translation>
        </message>
        <message>
            <source>https://&lt;sync service&gt;</source>
            <translation>https://&lt;сервис синхронизации&gt;</translation>
        </message>
        <message>
            <source>The application token of {} is stored (keyring); events from the portal are accepted by the sync service.</source>
            <translation>Токен приложения для {} сохранён (в хранилище ключей); сервис синхронизации принимает события портала.</translation>
        </message>
        <message>
            <source>Saving the application token</source>
            <translation>Сохранение токена приложения</translation>
        </message>
    </context>
    <context>
        <name>DragLinkInteraction</name>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="64" />
            <source>Drag from a field to a field of the other column to link them</source>
            <translation>Перетащите поле на поле в другой колонке, чтобы связать их</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="71" />
            <source>Not linked: release the line on a field of the other column</source>
            <translation>Не связано: отпустите линию на поле в другой колонке</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="85" />
            <source>Linking cancelled</source>
            <translation>Связывание отменено</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="96" />
            <source>these two fields are already linked</source>
            <translation>эти поля уже связаны</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="106" />
            <source>Drop on a green field to link; grey fields do not fit %1</source>
            <translation>Отпустите на зелёном поле, чтобы связать; серые поля не подходят для %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="127" />
            <source>Release to link: %1</source>
            <translation>Отпустите, чтобы связать: %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="133" />
            <source>no transform fits these fields</source>
            <translation>для этих полей нет подходящего преобразования</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="137" />
            <source>Link %1</source>
            <translation>Связать %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="141" />
            <source> (value pairs suggested: review them)</source>
            <translation> (пары значений предложены автоматически: проверьте их)</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="143" />
            <source>Linked %1</source>
            <translation>Связано: %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/interactions.py" line="175" />
            <source>Cannot link %1 (%2) → %3 (%4): %5</source>
            <translation>Невозможно связать %1 (%2) → %3 (%4): %5</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <location filename="../../studio/main_window.py" line="52" />
            <source>Bitrix24–JIRA Studio</source>
            <translation>Bitrix24–JIRA Studio</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="65" />
            <source>Connections</source>
            <translation>Подключения</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="66" />
            <source>Profiles</source>
            <translation>Профили</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="67" />
            <source>Monitor</source>
            <translation>Монитор</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="77" />
            <source>Demo: sandbox twins, temporary database</source>
            <translation>Демо: эмуляторы систем, временная база данных</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="77" />
            <source>Service</source>
            <translation>Сервис</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="78" />
            <source>Local engine</source>
            <translation>Локальный движок</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="85" />
            <source>&amp;File</source>
            <translation>&amp;Файл</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="86" />
            <source>&amp;Quit</source>
            <translation>В&amp;ыход</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="90" />
            <source>&amp;Settings</source>
            <translation>&amp;Настройки</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="91" />
            <source>Language</source>
            <translation>Язык</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="128" />
            <source>Unsaved changes</source>
            <translation>Несохранённые изменения</translation>
        </message>
        <message>
            <location filename="../../studio/main_window.py" line="129" />
            <source>The profile has unsaved changes. Discard them?</source>
            <translation>В профиле есть несохранённые изменения. Отказаться от них?</translation>
        </message>
        <message>
            <source>{} · starting…</source>
            <translation>{} · запуск…</translation>
        </message>
        <message>
            <source>Where secrets are kept</source>
            <translation>Где хранятся секреты</translation>
        </message>
    </context>
    <context>
        <name>MappingCanvas</name>
        <message>
            <location filename="../../widgets/mapping/items.py" line="28" />
            <source>copy</source>
            <translation>копирование</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="29" />
            <source>value map</source>
            <translation>сопоставление значений</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="30" />
            <source>multi-value map</source>
            <translation>сопоставление множ. значений</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="31" />
            <source>user by e-mail</source>
            <translation>пользователь по эл. почте</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="32" />
            <source>date</source>
            <translation>дата</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="33" />
            <source>money</source>
            <translation>деньги</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="34" />
            <source>template</source>
            <translation>шаблон</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="35" />
            <source>constant</source>
            <translation>константа</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/items.py" line="36" />
            <source>related entity</source>
            <translation>связанная сущность</translation>
        </message>
        <message>
            <source>create only</source>
            <translation>только при создании</translation>
        </message>
        <message>
            <source>update only</source>
            <translation>только при обновлении</translation>
        </message>
        <message>
            <source>create and update</source>
            <translation>при создании и обновлении</translation>
        </message>
        <message>
            <source>type: %1</source>
            <translation>тип: %1</translation>
        </message>
        <message>
            <source>required</source>
            <translation>обязательное</translation>
        </message>
        <message>
            <source>read-only</source>
            <translation>только чтение</translation>
        </message>
        <message>
            <source>options: %1</source>
            <translation>варианты: %1</translation>
        </message>
        <message>
            <source>transform: %1</source>
            <translation>преобразование: %1</translation>
        </message>
    </context>
    <context>
        <name>MappingConstructor</name>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="88" />
            <source>Mapping</source>
            <translation>Сопоставление</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="96" />
            <source>Undo</source>
            <translation>Отменить</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="99" />
            <source>Redo</source>
            <translation>Повторить</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="102" />
            <source>Add mapping</source>
            <translation>Добавить сопоставление</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="103" />
            <source>Add a mapping for the next required or unmapped field</source>
            <translation>Добавить сопоставление для следующего обязательного или несопоставленного поля</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="105" />
            <source>Edit…</source>
            <translation>Изменить…</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="106" />
            <source>Edit the selected mapping (double-click a line or press Enter)</source>
            <translation>Изменить выбранное сопоставление (двойной щелчок по линии или Enter)</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="108" />
            <source>Delete</source>
            <translation>Удалить</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="110" />
            <source>Delete the selected mappings (Del)</source>
            <translation>Удалить выбранные сопоставления (Del)</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="122" />
            <source>Mapped first</source>
            <translation>Связанные сверху</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="123" />
            <source>Auto-layout: put linked fields at the top, facing their partners</source>
            <translation>Авторасстановка: связанные поля сверху, напротив своих пар</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="132" />
            <source>Canvas</source>
            <translation>Схема</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="133" />
            <source>Table</source>
            <translation>Таблица</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="152" />
            <source>Drag from a JIRA field to a Bitrix24 field (or back) to map them.</source>
            <translation>Перетащите поле JIRA на поле Bitrix24 (или наоборот), чтобы сопоставить их.</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="179" />
            <source>Search %1 fields by name or id…</source>
            <translation>Поиск полей %1 по названию или ID…</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="236" />
            <source>Required fields not covered</source>
            <translation>Обязательные поля без связи</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="239" />
            <source>Records created on that side need a value for these fields.</source>
            <translation>Записям, создаваемым на этой стороне, нужны значения этих полей.</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="252" />
            <source>&lt;b&gt;Lines&lt;/b&gt;: → writes to Bitrix24, ← writes to JIRA, ↔ both ways; dashed: only on create or only on update; orange: needs review; red: error. Double-click a line to edit it.</source>
            <translation>&lt;b&gt;Линии&lt;/b&gt;: → запись в Bitrix24, ← запись в JIRA, ↔ в обе стороны; пунктир: только при создании или только при обновлении; оранжевая: требует проверки; красная: ошибка. Дважды щёлкните линию, чтобы изменить её.</translation>
        </message>
        <message numerus="yes">
            <location filename="../../widgets/mapping/widget.py" line="313" />
            <source>Remove %n mapping(s)</source>
            <translation>
                <numerusform>Удалить %n сопоставление</numerusform>
                <numerusform>Удалить %n сопоставления</numerusform>
                <numerusform>Удалить %n сопоставлений</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../../widgets/mapping/widget.py" line="317" />
            <source>Removed %n mapping(s)</source>
            <translation>
                <numerusform>Удалено %n сопоставление</numerusform>
                <numerusform>Удалено %n сопоставления</numerusform>
                <numerusform>Удалено %n сопоставлений</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="323" />
            <source>No unmapped pair of compatible fields is left</source>
            <translation>Не осталось несопоставленных пар совместимых полей</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="329" />
            <source>Added %1; change its fields in the table</source>
            <translation>Добавлено сопоставление %1; поля можно изменить в таблице</translation>
        </message>
        <message numerus="yes">
            <location filename="../../widgets/mapping/widget.py" line="382" />
            <source>%n mapping(s) hidden by the filter</source>
            <translation>
                <numerusform>%n сопоставление скрыто фильтром</numerusform>
                <numerusform>%n сопоставления скрыты фильтром</numerusform>
                <numerusform>%n сопоставлений скрыто фильтром</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="392" />
            <source>Drag a field onto it or add a constant mapping</source>
            <translation>Перетащите на него поле или добавьте сопоставление с константой</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="395" />
            <source>All required fields are covered</source>
            <translation>Все обязательные поля связаны</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="401" />
            <source>Errors: %1 · warnings: %2 (hover a line or a row for details)</source>
            <translation>Ошибок: %1 · предупреждений: %2 (наведите на линию или строку, чтобы увидеть подробности)</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="450" />
            <source>Undo %1</source>
            <translation>Отменить: %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="451" />
            <source>Nothing to undo</source>
            <translation>Нечего отменять</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="452" />
            <source>Redo %1</source>
            <translation>Повторить: %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/widget.py" line="453" />
            <source>Nothing to redo</source>
            <translation>Нечего повторять</translation>
        </message>
    </context>
    <context>
        <name>MappingEditorDialog</name>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="179" />
            <source>Edit mapping %1</source>
            <translation>Изменение сопоставления %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="202" />
            <source>Direction</source>
            <translation>Направление</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="205" />
            <source>→  JIRA to Bitrix24</source>
            <translation>→  из JIRA в Bitrix24</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="206" />
            <source>←  Bitrix24 to JIRA</source>
            <translation>←  из Bitrix24 в JIRA</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="206" />
            <source>↔  both ways</source>
            <translation>↔  в обе стороны</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="212" />
            <source>Apply on</source>
            <translation>Когда применять</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="216" />
            <source>create only</source>
            <translation>только при создании</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="216" />
            <source>update only</source>
            <translation>только при обновлении</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="217" />
            <source>create and update</source>
            <translation>при создании и обновлении</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="227" />
            <source>Transform:</source>
            <translation>Преобразование:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="267" />
            <source>Values are copied as they are (converted between compatible types).</source>
            <translation>Значения копируются как есть (с преобразованием между совместимыми типами).</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="270" />
            <source>Users are matched by e-mail address; no settings.</source>
            <translation>Пользователи сопоставляются по адресу эл. почты; настроек нет.</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="279" />
            <source>IANA time zone; empty means the connection's own zone</source>
            <translation>Часовой пояс IANA; пусто — часовой пояс подключения</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="280" />
            <source>JIRA time zone:</source>
            <translation>Часовой пояс JIRA:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="281" />
            <source>Bitrix24 time zone:</source>
            <translation>Часовой пояс Bitrix24:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="286" />
            <source>Fixed currency</source>
            <translation>Фиксированная валюта</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="287" />
            <source>Currency from a JIRA field</source>
            <translation>Валюта из поля JIRA</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="303" />
            <source>e.g. {summary} — {customfield_10101}</source>
            <translation>например, {summary} — {customfield_10101}</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="306" />
            <source>Placeholders (double-click to insert):</source>
            <translation>Подстановки (двойной щелчок — вставить):</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="316" />
            <source>Value:</source>
            <translation>Значение:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="322" />
            <source>profile name, e.g. companies</source>
            <translation>имя профиля, например companies</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="324" />
            <source>issue key</source>
            <translation>ключ задачи</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="325" />
            <source>issue summary</source>
            <translation>тема задачи</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="326" />
            <source>Profile linking the records:</source>
            <translation>Профиль, связывающий записи:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="327" />
            <source>JIRA field holds:</source>
            <translation>Поле JIRA содержит:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="468" />
            <source>%1 is not a number</source>
            <translation>%1 — не число</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="475" />
            <source>%1 is not yes/no</source>
            <translation>%1 — не «да»/«нет»</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="496" />
            <source>This transform does not fit the fields: %1</source>
            <translation>Это преобразование не подходит для полей: %1</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="505" />
            <source>Unknown placeholders: %1</source>
            <translation>Неизвестные подстановки: %1</translation>
        </message>
    </context>
    <context>
        <name>MappingTableModel</name>
        <message>
            <location filename="../../widgets/mapping/table.py" line="60" />
            <source>JIRA field</source>
            <translation>Поле JIRA</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="60" />
            <source>Direction</source>
            <translation>Направление</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="60" />
            <source>Bitrix24 field</source>
            <translation>Поле Bitrix24</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="60" />
            <source>Applies on</source>
            <translation>Когда применять</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="61" />
            <source>Transform</source>
            <translation>Преобразование</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="81" />
            <source>→ to Bitrix24</source>
            <translation>→ в Bitrix24</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="81" />
            <source>← to JIRA</source>
            <translation>← в JIRA</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="82" />
            <source>↔ both ways</source>
            <translation>↔ в обе стороны</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="107" />
            <source> (suggested)</source>
            <translation> (предложено)</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/table.py" line="145" />
            <location filename="../../widgets/mapping/table.py" line="158" />
            <source>Not changed: %1</source>
            <translation>Не изменено: %1</translation>
        </message>
    </context>
    <context>
        <name>MonitorPage</name>
        <message>
            <location filename="../../studio/pages/monitor.py" line="95" />
            <source>Monitor</source>
            <translation>Монитор</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="98" />
            <source>Refresh</source>
            <translation>Обновить</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="112" />
            <source>Items</source>
            <translation>Записи</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="113" />
            <location filename="../../studio/pages/monitor.py" line="137" />
            <location filename="../../studio/pages/monitor.py" line="257" />
            <source>Conflicts</source>
            <translation>Конфликты</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="115" />
            <source>Live events</source>
            <translation>Лента событий</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="117" />
            <source>Activity</source>
            <translation>Активность</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="123" />
            <source>started: {}</source>
            <translation>начато: {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="125" />
            <source>done: {}</source>
            <translation>готово: {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="125" />
            <source>failed or cancelled: {}</source>
            <translation>ошибка или отмена: {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="136" />
            <source>All items</source>
            <translation>Все записи</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="136" />
            <source>Errors</source>
            <translation>Ошибки</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="137" />
            <source>Created</source>
            <translation>Созданные</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="138" />
            <source>Updated</source>
            <translation>Обновлённые</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="138" />
            <source>Deferred fields</source>
            <translation>Отложенные поля</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="140" />
            <source>Select a run above to see what it did.</source>
            <translation>Выберите запуск выше, чтобы увидеть его результаты.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="141" />
            <source>Retry failed items</source>
            <translation>Повторить неудачные</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="173" />
            <source>Keep JIRA</source>
            <translation>Взять из JIRA</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="174" />
            <source>Keep Bitrix24</source>
            <translation>Взять из Bitrix24</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="175" />
            <source>Edit…</source>
            <translation>Изменить…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="211" />
            <source>Loading runs</source>
            <translation>Загрузка запусков</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="231" />
            <source>Run {id} of {profile}: {n} item(s) shown</source>
            <translation>Запуск {id} профиля {profile}: показано записей: {n}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="235" />
            <source>Loading items</source>
            <translation>Загрузка записей</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="242" />
            <source>Retrying failed items of {}</source>
            <translation>Повтор неудачных записей профиля {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="256" />
            <source>Conflicts ({})</source>
            <translation>Конфликты ({})</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="265" />
            <source>No conflict selected. Conflicts appear here when a field changed on both sides and the profile holds them for you.</source>
            <translation>Конфликт не выбран. Конфликты появляются здесь, когда поле изменилось в обеих системах и профиль оставляет решение за вами.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="280" />
            <source>Resolving conflict</source>
            <translation>Разрешение конфликта</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="287" />
            <source>Resolve with a value</source>
            <translation>Указать значение</translation>
        </message>
        <message>
            <location filename="../../studio/pages/monitor.py" line="287" />
            <source>Value for both sides:</source>
            <translation>Значение для обеих систем:</translation>
        </message>
    </context>
    <context>
        <name>ProfilesPage</name>
        <message>
            <location filename="../../studio/pages/profiles.py" line="155" />
            <source>Profiles</source>
            <translation>Профили</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="161" />
            <source>New…</source>
            <translation>Создать…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="162" />
            <source>Delete</source>
            <translation>Удалить</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="167" />
            <source>Import YAML…</source>
            <translation>Импорт YAML…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="168" />
            <source>Export YAML…</source>
            <translation>Экспорт YAML…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="177" />
            <source>Select a profile on the left, or create one.</source>
            <translation>Выберите профиль слева или создайте новый.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="180" />
            <source>Save</source>
            <translation>Сохранить</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="181" />
            <source>Revert</source>
            <translation>Вернуть</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="182" />
            <source>Dry run</source>
            <translation>Пробный запуск</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="183" />
            <source>Run</source>
            <translation>Запустить</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="189" />
            <source>Field mapping</source>
            <translation>Сопоставление полей</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="190" />
            <source>Scope and rules</source>
            <translation>Область и правила</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="191" />
            <source>Triggers</source>
            <translation>Триггеры</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="192" />
            <source>Plan and run</source>
            <translation>План и запуск</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="218" />
            <source>enabled</source>
            <translation>включён</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="226" />
            <location filename="../../studio/pages/profiles.py" line="242" />
            <source>Connection</source>
            <translation>Подключение</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="227" />
            <source>Projects</source>
            <translation>Проекты</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="228" />
            <source>Issue types</source>
            <translation>Типы задач</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="229" />
            <source>Extra JQL</source>
            <translation>Дополнительный JQL</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="236" />
            <source>—</source>
            <translation>—</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="239" />
            <source>all pipelines</source>
            <translation>все воронки</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="243" />
            <source>Entity</source>
            <translation>Сущность</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="244" />
            <source>Smart process type id</source>
            <translation>ID типа смарт-процесса</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="245" />
            <source>Pipeline</source>
            <translation>Воронка</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="246" />
            <source>Filter (JSON)</source>
            <translation>Фильтр (JSON)</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="247" />
            <source>Profile</source>
            <translation>Профиль</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="249" />
            <source>Title</source>
            <translation>Название</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="255" />
            <source>Test scope</source>
            <translation>Проверить область</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="256" />
            <source>“Test scope” counts the records each side's scope holds.</source>
            <translation>«Проверить область» подсчитывает записи, попадающие в область каждой системы.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="264" />
            <source>Creating, matching and conflicts</source>
            <translation>Создание, сопоставление записей и конфликты</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="266" />
            <source>both ways</source>
            <translation>в обеих системах</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="266" />
            <source>only in JIRA</source>
            <translation>только в JIRA</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="267" />
            <source>only in Bitrix24</source>
            <translation>только в Bitrix24</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="267" />
            <source>never</source>
            <translation>никогда</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="268" />
            <source>match, then create</source>
            <translation>найти, иначе создать</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="269" />
            <source>create only</source>
            <translation>только создавать</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="269" />
            <source>match only</source>
            <translation>только сопоставлять</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="270" />
            <source>newest edit wins</source>
            <translation>приоритет у последнего изменения</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="271" />
            <source>prefer JIRA</source>
            <translation>приоритет у JIRA</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="272" />
            <source>prefer Bitrix24</source>
            <translation>приоритет у Bitrix24</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="273" />
            <source>hold for manual resolution</source>
            <translation>отложить для ручного решения</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="274" />
            <source>ignore</source>
            <translation>игнорировать</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="274" />
            <source>delete on the other side</source>
            <translation>удалить в другой системе</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="275" />
            <source>mark on the other side</source>
            <translation>пометить в другой системе</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="276" />
            <source>Create missing records</source>
            <translation>Создавать недостающие записи</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="277" />
            <source>Matching</source>
            <translation>Сопоставление</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="278" />
            <source>When both sides changed</source>
            <translation>При изменении в обеих системах</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="279" />
            <source>When a record is deleted</source>
            <translation>При удалении записи</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="281" />
            <source>Match rules (tried in order after existing links)</source>
            <translation>Правила сопоставления (проверяются по порядку после существующих связей)</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="284" />
            <source>JIRA field</source>
            <translation>Поле JIRA</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="284" />
            <source>Bitrix24 field</source>
            <translation>Поле Bitrix24</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="285" />
            <source>Compare</source>
            <translation>Сравнение</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="290" />
            <source>Add rule</source>
            <translation>Добавить правило</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="291" />
            <source>Remove rule</source>
            <translation>Удалить правило</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="317" />
            <source>exactly</source>
            <translation>точно</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="317" />
            <source>ignoring case</source>
            <translation>без учёта регистра</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="318" />
            <source>digits only</source>
            <translation>только цифры</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="327" />
            <source>When this profile runs: on events from either system (e.g. a deal moved to a stage, a contact added), on a schedule, or by hand.</source>
            <translation>Когда запускается этот профиль: по событиям в любой из систем (например, сделка перешла на стадию или добавлен контакт), по расписанию или вручную.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="333" />
            <source>Trigger</source>
            <translation>Триггер</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="333" />
            <source>Details</source>
            <translation>Подробности</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="340" />
            <source>On event…</source>
            <translation>По событию…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="341" />
            <source>On schedule…</source>
            <translation>По расписанию…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="342" />
            <source>Manual</source>
            <translation>Вручную</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="343" />
            <source>Remove</source>
            <translation>Удалить</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="357" />
            <source>“Dry run” shows what a run would create and change, writing nothing. “Run” syncs now.</source>
            <translation>«Пробный запуск» показывает, что запуск создаст и изменит, ничего не записывая. «Запустить» синхронизирует сразу.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="363" />
            <source>The plan appears here.</source>
            <translation>Здесь появится план.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="390" />
            <source>Loading profiles</source>
            <translation>Загрузка профилей</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="435" />
            <source>Loading the fields of the connected systems…</source>
            <translation>Загрузка полей подключённых систем…</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="447" />
            <source>Could not load the fields of the connected systems: {}</source>
            <translation>Не удалось загрузить поля подключённых систем: {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="450" />
            <source>Loading fields from JIRA and Bitrix24</source>
            <translation>Загрузка полей из JIRA и Bitrix24</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="479" />
            <source>Bitrix24 filter is not valid JSON: {}</source>
            <translation>Фильтр Bitrix24 — некорректный JSON: {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="522" />
            <source>The profile is not valid</source>
            <translation>Профиль содержит ошибки</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="535" />
            <source>Saving profile</source>
            <translation>Сохранение профиля</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="541" />
            <source>Save first?</source>
            <translation>Сначала сохранить?</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="542" />
            <source>The profile has unsaved changes; runs use the saved profile. Save now?</source>
            <translation>В профиле есть несохранённые изменения, а запуск использует сохранённый профиль. Сохранить сейчас?</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="552" />
            <source>{what}: created in JIRA {cj}, in Bitrix24 {cb}; updated in JIRA {uj}, in Bitrix24 {ub}; matched {m}; unchanged {u}; conflicts {c}; errors {e}; API calls JIRA {aj}, Bitrix24 {ab}; {sec:.1f} s</source>
            <translation>{what}: создано в JIRA {cj}, в Bitrix24 {cb}; обновлено в JIRA {uj}, в Bitrix24 {ub}; сопоставлено {m}; без изменений {u}; конфликтов {c}; ошибок {e}; вызовов API: JIRA {aj}, Bitrix24 {ab}; {sec:.1f} с</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="555" />
            <source>Plan</source>
            <translation>План</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="555" />
            <source>Run finished</source>
            <translation>Синхронизация завершена</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="560" />
            <source>The run failed: {}</source>
            <translation>Запуск завершился ошибкой: {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="562" />
            <source>Nothing to do.</source>
            <translation>Изменений не требуется.</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="567" />
            <source>Planning {}</source>
            <translation>Планирование {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="567" />
            <source>Running {}</source>
            <translation>Выполнение {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="582" />
            <source>JIRA: {}
Bitrix24: {}</source>
            <translation>JIRA: {}
Bitrix24: {}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="584" />
            <source>Counting records in scope</source>
            <translation>Подсчёт записей в области</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="614" />
            <location filename="../../studio/pages/profiles.py" line="622" />
            <source>New profile</source>
            <translation>Новый профиль</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="615" />
            <source>Name (lower-case letters, digits, '-'):</source>
            <translation>Имя (строчные латинские буквы, цифры, '-'):</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="624" />
            <source>Creating profile</source>
            <translation>Создание профиля</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="631" />
            <source>Delete profile</source>
            <translation>Удаление профиля</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="631" />
            <source>Delete profile {}?</source>
            <translation>Удалить профиль {}?</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="637" />
            <source>Deleting profile</source>
            <translation>Удаление профиля</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="641" />
            <source>Import profiles</source>
            <translation>Импорт профилей</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="647" />
            <source>Not imported</source>
            <translation>Не импортировано</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="647" />
            <source>Nothing was changed:
{}</source>
            <translation>Ничего не изменено:
{}</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="654" />
            <source>Importing profiles</source>
            <translation>Импорт профилей</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="660" />
            <source>Export profile</source>
            <translation>Экспорт профиля</translation>
        </message>
        <message>
            <source>Run / Dry run buttons and b24sync run</source>
            <translation>Кнопки «Запустить» / «Пробный запуск» и команда b24sync run</translation>
        </message>
        <message>
            <source>every {} min</source>
            <translation>каждые {} мин</translation>
        </message>
        <message>
            <source>Schedule</source>
            <translation>Расписание</translation>
        </message>
        <message>
            <source>Event</source>
            <translation>Событие</translation>
        </message>
        <message>
            <source>{j} JIRA fields and {b} Bitrix24 fields loaded. Drag from a field to a field to map them.</source>
            <translation>Загружено полей: JIRA — {j}, Bitrix24 — {b}. Перетащите линию от поля к полю, чтобы связать их.</translation>
        </message>
    </context>
    <context>
        <name>TriggerDialog</name>
        <message>
            <location filename="../../studio/pages/profiles.py" line="67" />
            <source>Run on an event</source>
            <translation>Запуск по событию</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="67" />
            <source>Run on a schedule</source>
            <translation>Запуск по расписанию</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="72" />
            <source>stage / status changed</source>
            <translation>изменена стадия / статус</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="72" />
            <source>created</source>
            <translation>создано</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="73" />
            <source>updated</source>
            <translation>обновлено</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="73" />
            <source>created or updated</source>
            <translation>создано или обновлено</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="74" />
            <source>deleted</source>
            <translation>удалено</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="80" />
            <source>System</source>
            <translation>Система</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="81" />
            <source>Event</source>
            <translation>Событие</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="82" />
            <source>Condition field (optional)</source>
            <translation>Поле условия (необязательно)</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="83" />
            <source>Operator</source>
            <translation>Оператор</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="84" />
            <source>Value</source>
            <translation>Значение</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="89" />
            <source> min</source>
            <translation> мин</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="92" />
            <source>Every</source>
            <translation>Каждые</translation>
        </message>
        <message>
            <location filename="../../studio/pages/profiles.py" line="93" />
            <source>or cron (overrides)</source>
            <translation>или cron (имеет приоритет)</translation>
        </message>
    </context>
    <context>
        <name>ValueMapPage</name>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="105" />
            <source>JIRA value</source>
            <translation>Значение JIRA</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="105" />
            <source>Bitrix24 value</source>
            <translation>Значение Bitrix24</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="111" />
            <source>Add pair</source>
            <translation>Добавить пару</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="112" />
            <source>Remove pair</source>
            <translation>Удалить пару</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="113" />
            <source>Auto-suggest</source>
            <translation>Подобрать</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="114" />
            <source>Pair the options whose labels match</source>
            <translation>Связать варианты с совпадающими названиями</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="128" />
            <source>Default written to JIRA:</source>
            <translation>По умолчанию в JIRA:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="129" />
            <source>Default written to Bitrix24:</source>
            <translation>По умолчанию в Bitrix24:</translation>
        </message>
        <message>
            <location filename="../../widgets/mapping/editor.py" line="131" />
            <source>Suggested automatically, not reviewed yet</source>
            <translation>Предложено автоматически, ещё не проверено</translation>
        </message>
    </context>
    <context>
        <name>parent</name>
        <message>
            <location filename="../../studio/ops.py" line="47" />
            <source>Cancel</source>
            <translation>Отмена</translation>
        </message>
        <message>
            <location filename="../../studio/ops.py" line="48" />
            <source>Working…</source>
            <translation>Выполняется…</translation>
        </message>
        <message>
            <location filename="../../studio/ops.py" line="85" />
            <source>Something went wrong</source>
            <translation>Что-то пошло не так</translation>
        </message>
    </context>
    <context>
        <name>MappingCommands</name>
        <message>
            <source>Add mapping %1</source>
            <translation>Добавить сопоставление %1</translation>
        </message>
        <message>
            <source>Remove mapping %1</source>
            <translation>Удалить сопоставление %1</translation>
        </message>
        <message>
            <source>Edit mapping %1</source>
            <translation>Изменить сопоставление %1</translation>
        </message>
    </context>
    <context>
        <name>RunsModel</name>
        <message>
            <source>Started</source>
            <translation>Начало</translation>
        </message>
        <message>
            <source>Profile</source>
            <translation>Профиль</translation>
        </message>
        <message>
            <source>Trigger</source>
            <translation>Триггер</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Статус</translation>
        </message>
        <message>
            <source>Created J/B</source>
            <translation>Создано J/Б</translation>
        </message>
        <message>
            <source>Updated J/B</source>
            <translation>Обновлено J/Б</translation>
        </message>
        <message>
            <source>Conflicts</source>
            <translation>Конфликты</translation>
        </message>
        <message>
            <source>Errors</source>
            <translation>Ошибки</translation>
        </message>
        <message>
            <source>Seconds</source>
            <translation>Секунды</translation>
        </message>
        <message>
            <source>API calls J/B</source>
            <translation>Вызовы API J/Б</translation>
        </message>
    </context>
    <context>
        <name>ItemsModel</name>
        <message>
            <source>#</source>
            <translation>№</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Действие</translation>
        </message>
        <message>
            <source>Side</source>
            <translation>Система</translation>
        </message>
        <message>
            <source>JIRA</source>
            <translation>JIRA</translation>
        </message>
        <message>
            <source>Bitrix24</source>
            <translation>Bitrix24</translation>
        </message>
        <message>
            <source>Fields before → after</source>
            <translation>Поля: было → стало</translation>
        </message>
        <message>
            <source>Error</source>
            <translation>Ошибка</translation>
        </message>
    </context>
    <context>
        <name>MonitorWords</name>
        <message>
            <source>create</source>
            <translation>создание</translation>
        </message>
        <message>
            <source>update</source>
            <translation>изменение</translation>
        </message>
        <message>
            <source>match</source>
            <translation>сопоставление</translation>
        </message>
        <message>
            <source>conflict</source>
            <translation>конфликт</translation>
        </message>
        <message>
            <source>error</source>
            <translation>ошибка</translation>
        </message>
        <message>
            <source>delete</source>
            <translation>удаление</translation>
        </message>
        <message>
            <source>mark</source>
            <translation>отметка</translation>
        </message>
        <message>
            <source>deferred</source>
            <translation>отложено</translation>
        </message>
        <message>
            <source>skip</source>
            <translation>пропуск</translation>
        </message>
        <message>
            <source>ok</source>
            <translation>успешно</translation>
        </message>
        <message>
            <source>failed</source>
            <translation>сбой</translation>
        </message>
        <message>
            <source>running</source>
            <translation>выполняется</translation>
        </message>
        <message>
            <source>manual</source>
            <translation>вручную</translation>
        </message>
        <message>
            <source>studio</source>
            <translation>из студии</translation>
        </message>
        <message>
            <source>schedule</source>
            <translation>по расписанию</translation>
        </message>
        <message>
            <source>event</source>
            <translation>по событию</translation>
        </message>
        <message>
            <source>reconcile</source>
            <translation>сверка</translation>
        </message>
        <message>
            <source>retry</source>
            <translation>повтор</translation>
        </message>
        <message>
            <source>{trigger} (+{n} coalesced)</source>
            <translation>{trigger} (+{n} в пакете)</translation>
        </message>
    </context>
</TS>
